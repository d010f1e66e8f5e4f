"""The satisfaction survey a store starts with (stores edit their own copy)."""

DEFAULT_QUESTIONS = [
    "对销售顾问的接待和专业程度是否满意？",
    "对试乘试驾的安排是否满意？",
    "对价格和费用说明的透明度是否满意？",
    "对交车过程（车辆清洁、功能讲解、手续）是否满意？",
    "是否愿意向亲友推荐本店？",
]

# What a store's SSI tables start with, per scored role: (reward in yuan, in words; penalty in yuan, in words).
SSI_ROLE_DEFAULTS = {
    "consultant": (300, "月度SSI绩效奖励", 200, "绩效扣减，整改面谈"),
    "sales_manager": (500, "月度SSI绩效奖励", 300, "绩效扣减，提交整改报告"),
    "cs_manager": (300, "月度SSI绩效奖励", 200, "绩效扣减，提交整改报告"),
    "cs_agent": (200, "月度SSI绩效奖励", 100, "绩效扣减，整改面谈"),
    "reception": (200, "月度SSI绩效奖励", 100, "绩效扣减，整改面谈"),
}
