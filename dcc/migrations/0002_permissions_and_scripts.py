from django.db import migrations

from accounts.permissions import seed_permissions, unseed_permissions

PERMISSIONS = {
    "dcc.work_calls": ("Work the DCC call list, log calls and inbound calls", ["dcc_agent", "dcc_manager"]),
    "dcc.manage": (
        "Run the DCC: call-list rules, distribution, agents, script, templates, campaigns",
        ["dcc_manager"],
    ),
    "dcc.view_figures": ("See the DCC figures", ["dcc_manager", "gm"]),
}

# The default seven-step invitation script (a copy of dcc.defaults at the time of this migration:
# later edits there do not change stores' scripts).
SCRIPT_NAME = "邀约话术（默认七步）"
SCRIPT_STEPS = [
    ("问候并表明身份", "您好，请问是{客户姓名}先生/女士吗？我是{门店}的DCC专员{姓名}，耽误您两分钟时间可以吗？"),
    ("确认需求", "您之前在{来源}上了解过{车系}，请问您是自己用车还是家里用？大概什么时候考虑购车？预算大概多少？"),
    ("激发兴趣", "这款车最近很受欢迎，本月有购置税补贴和置换补贴；您关心的油耗/空间/配置我们都可以到店给您详细演示。"),
    ("给出到店理由", "本周末店里有试驾活动，到店试驾还有礼品；现车颜色齐全，可以当场看车、算好落地价。"),
    ("提出具体时间", "您看是周六上午10点还是周日下午2点方便？我先帮您预约试驾车和专属顾问。"),
    ("确认邀约", "好的，那我们约定{日期}{时间}，接待您的是{顾问}，地址是{门店地址}，到店前我会再提醒您。"),
    ("发送跟进信息", "挂断后马上发送确认短信（时间、地址、顾问电话），前一天和当天上午再各提醒一次。"),
]


def forwards(apps, schema_editor):
    seed_permissions(apps, PERMISSIONS)
    Store = apps.get_model("accounts", "Store")
    CallScript = apps.get_model("dcc", "CallScript")
    CallScriptStep = apps.get_model("dcc", "CallScriptStep")
    for store in Store.objects.all():
        script, created = CallScript.objects.get_or_create(store=store, defaults={"name": SCRIPT_NAME})
        if created:
            CallScriptStep.objects.bulk_create(
                CallScriptStep(script=script, position=i, title=title, guidance=guidance)
                for i, (title, guidance) in enumerate(SCRIPT_STEPS, start=1)
            )


def backwards(apps, schema_editor):
    unseed_permissions(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("dcc", "0001_initial"), ("accounts", "0002_default_roles")]
    operations = [migrations.RunPython(forwards, backwards)]
