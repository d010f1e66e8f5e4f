"""factory_boy factories shared by every app's tests."""

import factory

from accounts.models import DealerGroup, Membership, Role, Store, User


class DealerGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DealerGroup
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"group{n}")
    name = factory.Sequence(lambda n: f"集团{n}")


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store

    group = factory.SubFactory(DealerGroupFactory)
    code = factory.Sequence(lambda n: f"store{n}")
    name = factory.Sequence(lambda n: f"测试门店{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"员工{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pass-12345")

    @factory.post_generation
    def persist(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def make_member(store: Store, role_code: str, **user_fields) -> User:
    """A user holding the shipped default ``role_code`` in ``store``."""
    user = UserFactory(**user_fields)
    Membership.objects.create(user=user, store=store, role=Role.objects.get(store=None, code=role_code))
    return user
