"""Demo catalog for ``seed_demo``: brands and series sold in China, with plausible guide prices.

Prices are in yuan and close to the manufacturers' published guide prices of the 2025 and 2026
model years; they are demo data, not a price list. Idempotent: rows are matched on natural keys.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from .models import Brand, EnergyType, Segment, Series, Trim, VehicleModel

S, E = Segment, EnergyType

# brand, English name, code, country, [(series, segment, energy, [(year, model, [(trim, price)])])]
CATALOG = [
    (
        "大众",
        "Volkswagen",
        "volkswagen",
        "德国",
        [
            (
                "朗逸",
                S.SEDAN,
                E.FUEL,
                [
                    (
                        2025,
                        "朗逸",
                        [("1.5L 自动新逸版", 113900), ("1.5L 自动满逸版", 125900), ("1.5L 自动逸尚版", 132900)],
                    ),
                ],
            ),
            (
                "速腾",
                S.SEDAN,
                E.FUEL,
                [
                    (
                        2025,
                        "速腾",
                        [("200TSI DSG 飞越版", 139800), ("300TSI DSG 超越版", 163800), ("300TSI DSG 旗舰版", 179800)],
                    )
                ],
            ),
            (
                "迈腾",
                S.SEDAN,
                E.FUEL,
                [
                    (
                        2026,
                        "迈腾",
                        [("330TSI DSG 领先型", 199900), ("380TSI DSG 豪华型", 229900), ("380TSI DSG 旗舰型", 259900)],
                    )
                ],
            ),
            (
                "帕萨特",
                S.SEDAN,
                E.FUEL,
                [(2025, "帕萨特", [("330TSI 精英版", 189900), ("380TSI 豪华版", 219900), ("380TSI 龙耀版", 239900)])],
            ),
            (
                "途观L",
                S.SUV,
                E.FUEL,
                [(2025, "途观L", [("330TSI 两驱 R-Line 越享版", 219900), ("380TSI 四驱 R-Line 旗舰版", 289900)])],
            ),
            (
                "ID.4 CROZZ",
                S.SUV,
                E.ELECTRIC,
                [(2025, "ID.4 CROZZ", [("纯净智享版", 179900), ("长续航 PRO", 209900), ("四驱高能 PRIME", 249900)])],
            ),
        ],
    ),
    (
        "丰田",
        "Toyota",
        "toyota",
        "日本",
        [
            (
                "卡罗拉",
                S.SEDAN,
                E.FUEL,
                [(2025, "卡罗拉", [("1.5L 先锋版", 115800), ("1.5L 精英版", 125800), ("1.5L 旗舰版", 139800)])],
            ),
            (
                "凯美瑞",
                S.SEDAN,
                E.HYBRID,
                [(2025, "凯美瑞", [("2.0HEV 精英版", 179800), ("2.0HEV 豪华版", 199800), ("2.0HEV 旗舰版", 219800)])],
            ),
            (
                "RAV4荣放",
                S.SUV,
                E.FUEL,
                [(2025, "RAV4荣放", [("2.0L CVT 两驱都市版", 175800), ("2.0L CVT 四驱风尚 Plus 版", 213800)])],
            ),
            (
                "汉兰达",
                S.SUV,
                E.HYBRID,
                [
                    (
                        2025,
                        "汉兰达",
                        [("2.5L 智能电混双擎 四驱精英版 7座", 279800), ("2.5L 智能电混双擎 四驱尊贵版 7座", 329800)],
                    )
                ],
            ),
            (
                "赛那",
                S.MPV,
                E.HYBRID,
                [
                    (
                        2025,
                        "赛那",
                        [("2.5L 混动 舒适版", 309800), ("2.5L 混动 尊贵版", 358800), ("2.5L 混动 铂金版", 408800)],
                    )
                ],
            ),
        ],
    ),
    (
        "本田",
        "Honda",
        "honda",
        "日本",
        [
            (
                "思域",
                S.SEDAN,
                E.FUEL,
                [(2025, "思域", [("240TURBO CVT 燃擎版", 129900), ("240TURBO CVT 劲擎版", 149900)])],
            ),
            (
                "雅阁",
                S.SEDAN,
                E.FUEL,
                [
                    (
                        2025,
                        "雅阁",
                        [("260TURBO 精享版", 179800), ("260TURBO 豪华版", 199800), ("260TURBO 旗舰版", 219800)],
                    )
                ],
            ),
            (
                "CR-V",
                S.SUV,
                E.FUEL,
                [
                    (
                        2025,
                        "CR-V",
                        [
                            ("240TURBO 两驱活力版", 181900),
                            ("240TURBO 两驱锋尚版", 205900),
                            ("240TURBO 四驱尊贵版", 235900),
                        ],
                    )
                ],
            ),
        ],
    ),
    (
        "比亚迪",
        "BYD",
        "byd",
        "中国",
        [
            (
                "秦PLUS DM-i",
                S.SEDAN,
                E.PLUGIN_HYBRID,
                [(2025, "秦PLUS DM-i 智驾版", [("55KM 领先型", 79800), ("120KM 超越型", 99800)])],
            ),
            (
                "汉",
                S.SEDAN,
                E.ELECTRIC,
                [(2025, "汉 EV", [("605KM 尊贵型", 179800), ("701KM 旗舰型", 209800)])],
            ),
            (
                "宋PLUS",
                S.SUV,
                E.PLUGIN_HYBRID,
                [(2025, "宋PLUS DM-i 智驾版", [("112KM 旗舰型", 129800), ("172KM 旗舰PLUS", 149800)])],
            ),
            (
                "元PLUS",
                S.SUV,
                E.ELECTRIC,
                [(2025, "元PLUS 智驾版", [("430KM 领先型", 115800), ("510KM 卓越型", 135800)])],
            ),
            (
                "海豹",
                S.SEDAN,
                E.ELECTRIC,
                [
                    (
                        2026,
                        "海豹 智驾版",
                        [("510KM 精英型", 175800), ("650KM 后驱性能型", 209800), ("650KM 四驱性能型", 239800)],
                    )
                ],
            ),
        ],
    ),
    (
        "吉利",
        "Geely",
        "geely",
        "中国",
        [
            (
                "星越L",
                S.SUV,
                E.FUEL,
                [
                    (
                        2025,
                        "星越L",
                        [("2.0TD 两驱 尊贵型", 138700), ("2.0TD 两驱 旗舰型", 149700), ("2.0TD 四驱 旗舰型", 169700)],
                    )
                ],
            ),
            (
                "帝豪",
                S.SEDAN,
                E.FUEL,
                [(2025, "帝豪", [("1.5L 手动 精英型", 59900), ("1.5L CVT 旗舰型", 76900)])],
            ),
        ],
    ),
    (
        "别克",
        "Buick",
        "buick",
        "美国",
        [
            (
                "GL8",
                S.MPV,
                E.FUEL,
                [
                    (2025, "GL8 陆上公务舱", [("2.0T 舒适型", 239900), ("2.0T 豪华型", 264900)]),
                    (2025, "GL8 ES陆尊", [("2.0T 尊贵型", 299900), ("2.0T 艾维亚旗舰型", 339900)]),
                ],
            ),
            (
                "君越",
                S.SEDAN,
                E.FUEL,
                [(2025, "君越", [("552T 豪华型", 229900), ("652T 尊贵型", 259900)])],
            ),
        ],
    ),
    (
        "奥迪",
        "Audi",
        "audi",
        "德国",
        [
            (
                "A4L",
                S.SEDAN,
                E.FUEL,
                [(2025, "A4L", [("40 TFSI 时尚动感型", 321800), ("45 TFSI quattro 臻选动感型", 383800)])],
            ),
            (
                "Q5L",
                S.SUV,
                E.FUEL,
                [(2025, "Q5L", [("40 TFSI 时尚动感型", 396800), ("45 TFSI 豪华动感型", 464800)])],
            ),
        ],
    ),
    (
        "宝马",
        "BMW",
        "bmw",
        "德国",
        [
            (
                "3系",
                S.SEDAN,
                E.FUEL,
                [(2025, "3系", [("325Li M运动套装", 339900), ("330Li xDrive M运动曜夜套装", 399900)])],
            ),
            (
                "5系",
                S.SEDAN,
                E.FUEL,
                [(2025, "5系", [("525Li 豪华套装", 439900), ("530Li 尊享型 M运动套装", 509900)])],
            ),
            (
                "X3",
                S.SUV,
                E.FUEL,
                [(2026, "X3", [("sDrive25L 领先型", 389900), ("xDrive30L M运动套装", 439900)])],
            ),
        ],
    ),
]


@transaction.atomic
def seed(ctx: dict) -> None:
    all_series = []
    for brand_name, name_en, code, country, series_rows in CATALOG:
        brand, _ = Brand.objects.get_or_create(
            name=brand_name, defaults={"name_en": name_en, "code": code, "country": country}
        )
        for series_name, segment, energy_type, models in series_rows:
            series, _ = Series.objects.get_or_create(
                brand=brand, name=series_name, defaults={"segment": segment, "energy_type": energy_type}
            )
            all_series.append(series)
            for year, model_name, trims in models:
                vehicle_model, _ = VehicleModel.objects.get_or_create(series=series, name=model_name, model_year=year)
                for trim_name, price in trims:
                    Trim.objects.get_or_create(
                        model=vehicle_model, name=trim_name, defaults={"guide_price": Decimal(price)}
                    )
    ctx["catalog_series"] = all_series
