from django.db import migrations

from accounts.permissions import seed_permissions, unseed_permissions

PERMISSIONS = {
    "callbacks.work": ("Make the post-sale callbacks to your own buyers", ["consultant", "sales_supervisor"]),
    "callbacks.supervise": (
        "Supervise the consultants' callbacks and check them with the customer",
        ["cs_agent", "cs_manager", "gm"],
    ),
    "callbacks.satisfaction": ("Make customer service's satisfaction callbacks", ["cs_agent", "cs_manager"]),
}

# The default survey (a copy at the time of this migration: later edits do not change stores' surveys).
QUESTIONS = [
    "对销售顾问的接待和专业程度是否满意？",
    "对试乘试驾的安排是否满意？",
    "对价格和费用说明的透明度是否满意？",
    "对交车过程（车辆清洁、功能讲解、手续）是否满意？",
    "是否愿意向亲友推荐本店？",
]


def forwards(apps, schema_editor):
    seed_permissions(apps, PERMISSIONS)
    Store = apps.get_model("accounts", "Store")
    SurveyQuestion = apps.get_model("complaints", "SurveyQuestion")
    for store in Store.objects.all():
        if not SurveyQuestion.objects.filter(store=store).exists():
            SurveyQuestion.objects.bulk_create(
                SurveyQuestion(store=store, text=text, position=i) for i, text in enumerate(QUESTIONS, start=1)
            )


def backwards(apps, schema_editor):
    unseed_permissions(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0003_callbacks"), ("accounts", "0002_default_roles")]
    operations = [migrations.RunPython(forwards, backwards)]
