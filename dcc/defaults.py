"""What ships with the DCC: the default seven-step invitation script and the default message texts.

The script is a default of ours, not a rule: each store gets its own copy to edit. It is store
data (like the lead sources), so it is written in Chinese, the language the stores work in.
The message texts are used when a store has no active template of that kind; placeholders:
{name} customer, {store} store, {time} appointment time, {address} store address, {phone} store
phone, {receiver} receiving consultant, {event} and {event_time} for event invitations.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

DEFAULT_SCRIPT_NAME = "邀约话术（默认七步）"

# (title, guidance)
DEFAULT_SCRIPT_STEPS: list[tuple[str, str]] = [
    (
        "问候并表明身份",
        "您好，请问是{客户姓名}先生/女士吗？我是{门店}的DCC专员{姓名}，耽误您两分钟时间可以吗？",
    ),
    (
        "确认需求",
        "您之前在{来源}上了解过{车系}，请问您是自己用车还是家里用？大概什么时候考虑购车？预算大概多少？",
    ),
    (
        "激发兴趣",
        "这款车最近很受欢迎，本月有购置税补贴和置换补贴；您关心的油耗/空间/配置我们都可以到店给您详细演示。",
    ),
    (
        "给出到店理由",
        "本周末店里有试驾活动，到店试驾还有礼品；现车颜色齐全，可以当场看车、算好落地价。",
    ),
    (
        "提出具体时间",
        "您看是周六上午10点还是周日下午2点方便？我先帮您预约试驾车和专属顾问。",
    ),
    (
        "确认邀约",
        "好的，那我们约定{日期}{时间}，接待您的是{顾问}，地址是{门店地址}，到店前我会再提醒您。",
    ),
    (
        "发送跟进信息",
        "挂断后马上发送确认短信（时间、地址、顾问电话），前一天和当天上午再各提醒一次。",
    ),
]

DEFAULT_TEXTS = {
    "confirmation": (
        _("Your visit to {store}"),
        _(
            "Dear {name}, thank you for accepting our invitation: we look forward to seeing you at {store} on "
            "{time}. {receiver} will receive you. Address: {address}. Phone: {phone}."
        ),
    ),
    "day_before": (
        _("See you tomorrow at {store}"),
        _("Dear {name}, a reminder of your visit to {store} tomorrow, {time}. Address: {address}. Phone: {phone}."),
    ),
    "same_day": (
        _("See you today at {store}"),
        _("Dear {name}, we look forward to seeing you at {store} today at {time}. Address: {address}."),
    ),
}
