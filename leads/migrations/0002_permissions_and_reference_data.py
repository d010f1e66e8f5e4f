from django.db import migrations

from accounts.permissions import seed_permissions, unseed_permissions

SALES = ["consultant", "sales_supervisor", "sales_manager"]
PERMISSIONS = {
    "leads.capture": ("Register customers and leads", ["reception", *SALES, "dcc_agent", "dcc_manager"]),
    "leads.own": ("Own and work leads", [*SALES, "dcc_agent"]),
    "leads.work": ("Follow up, invite and request lost on visible leads", [*SALES, "dcc_agent", "dcc_manager"]),
    "leads.view_team": ("See the team's leads", ["sales_supervisor"]),
    "leads.view_all": ("See every lead of the store", ["sales_manager", "gm", "dcc_manager"]),
    "leads.reassign": ("Reassign and reopen leads", ["sales_supervisor", "sales_manager", "dcc_manager"]),
    "leads.approve_lost": ("Approve lost and invalid requests", ["sales_supervisor", "sales_manager", "gm"]),
    "leads.comment": ("Comment on follow-ups", ["sales_supervisor", "sales_manager", "gm"]),
    "leads.merge": ("Merge duplicate customers", ["sales_manager"]),
    "leads.fleet": ("Upgrade leads to fleet", ["sales_manager"]),
    "leads.hand_to_dcc": ("Hand leads over to the DCC", ["sales_manager", "sales_supervisor"]),
    "leads.claim_pool": ("Claim leads from the shared pool", ["consultant", "sales_supervisor", "dcc_agent"]),
    "leads.import": ("Import lead lists", ["sales_manager", "dcc_manager"]),
    "leads.ingest": ("Send leads through the ingest API", ["admin", "dcc_manager"]),
    "leads.manage_settings": ("Manage sources, reasons and follow-up cadence", ["sales_manager", "admin"]),
}

SOURCES = [
    # code, name, category, parent code
    ("walk_in", "自然到店", "walk_in", None),
    ("showroom_phone", "展厅电话", "phone", None),
    ("hotline_400", "400热线", "hotline", None),
    ("online", "网络平台", "online", None),
    ("autohome", "汽车之家", "online", "online"),
    ("dongchedi", "懂车帝", "online", "online"),
    ("yiche", "易车", "online", "online"),
    ("brand_site", "品牌官网", "online", "online"),
    ("ecommerce", "电商平台", "online", "online"),
    ("outreach", "外展", "outreach", None),
    ("offline_event", "线下活动", "event", None),
    ("customer_referral", "客户转介绍", "referral", None),
    ("employee_referral", "员工推荐", "referral", None),
    ("purchased_list", "外购名单", "purchased", None),
    ("oem", "厂家下发", "oem", None),
    ("tender", "招投标（批售）", "tender", None),
    ("repurchase", "续购", "repurchase", None),
]

REASONS = [
    # kind, code, name, needs competitor
    ("lost", "other_brand", "购买其他品牌", True),
    ("lost", "same_brand_elsewhere", "在其他店购买同品牌", False),
    ("lost", "price", "价格原因", False),
    ("lost", "financing", "贷款/金融原因", False),
    ("lost", "postponed", "推迟购买", False),
    ("lost", "no_longer_needed", "不再需要", False),
    ("lost", "unreachable", "无法联系", False),
    ("lost", "other", "其他", False),
    ("invalid", "wrong_number", "空号/错号", False),
    ("invalid", "not_prospect", "非潜在客户", False),
    ("invalid", "test_entry", "测试数据", False),
]


def forwards(apps, schema_editor):
    seed_permissions(apps, PERMISSIONS)
    Source = apps.get_model("leads", "Source")
    for order, (code, name, category, parent) in enumerate(SOURCES):
        Source.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "category": category,
                "parent": Source.objects.get(code=parent) if parent else None,
                "sort_order": order * 10,
            },
        )
    LostReason = apps.get_model("leads", "LostReason")
    for order, (kind, code, name, needs) in enumerate(REASONS):
        LostReason.objects.get_or_create(
            code=code, defaults={"kind": kind, "name": name, "needs_competitor": needs, "sort_order": order * 10}
        )


def backwards(apps, schema_editor):
    unseed_permissions(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("leads", "0001_initial"), ("accounts", "0002_default_roles")]
    operations = [migrations.RunPython(forwards, backwards)]
