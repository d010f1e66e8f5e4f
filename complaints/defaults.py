"""The satisfaction survey a store starts with (stores edit their own copy)."""

DEFAULT_QUESTIONS = [
    "对销售顾问的接待和专业程度是否满意？",
    "对试乘试驾的安排是否满意？",
    "对价格和费用说明的透明度是否满意？",
    "对交车过程（车辆清洁、功能讲解、手续）是否满意？",
    "是否愿意向亲友推荐本店？",
]
