"""The nine reports of 报表管理 → 客户分析, one module each; importing this package registers them."""

from importlib import import_module

MODULES = [
    "traffic",  # 1 展厅流量分析表
    "daily_work",  # 2 工作日报表
    "customers",  # 3 客户分析
    "lost_statistics",  # 4 战败统计表
    "lost_analysis",  # 5 战败分析表
    "sources",  # 6 展厅来源分析表
    "prospects",  # 7 有望客户跟踪进度
    "visit_register",  # 8 到店客户登记
    "activity",  # 9 销售顾问访问活动日报表
]


def load() -> None:
    for name in MODULES:
        try:
            import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"{__name__}.{name}":
                raise
