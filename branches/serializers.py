from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from hrsaas.core.inputs import refused_character

from .models import Branch, User
from .roles import Role


class BranchSerializer(serializers.ModelSerializer):
    class Meta:
        model = Branch
        fields = ["code", "name", "city", "active"]
        read_only_fields = ["active"]
        extra_kwargs = {"code": {"validators": []}}  # uniqueness is the service's (one message)


class TextField(serializers.CharField):
    """Text, and only text: a JSON number, list or true/false is refused in words (DRF's CharField
    would store 123 as "123"), as every hand-parsed field does (hrsaas.core.inputs.parse_text),
    and so are the characters it refuses."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError(_("须为文本。"))
        # Control and invisible characters (a direction override shows a name reversed) are
        # refused as parse_text refuses them; NUL is left to DRF's own check and its words.
        refusal = refused_character(data) if "\x00" not in data else None
        if refusal:
            raise serializers.ValidationError(refusal)
        return super().to_internal_value(data)


class RoleSerializer(serializers.Serializer):
    branch = TextField(allow_null=True, required=False, default=None)
    role = serializers.ChoiceField(choices=Role.choices)


class UserCreateSerializer(serializers.Serializer):
    username = TextField(max_length=150)
    password = TextField(write_only=True, style={"input_type": "password"})
    display_name = TextField(max_length=100, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    home_branch = TextField(required=False, allow_null=True, default=None)
    roles = RoleSerializer(many=True, required=False, default=list)


class UserSerializer(serializers.ModelSerializer):
    home_branch = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "email", "home_branch", "roles", "is_active"]

    def get_roles(self, obj) -> list[dict]:
        return [
            {"branch": m.branch.code if m.branch else None, "role": m.role}
            for m in obj.memberships.all()
        ]


class AuditRowSerializer(serializers.Serializer):
    model = serializers.CharField()
    branch = serializers.CharField(allow_null=True)
    object_id = serializers.CharField()
    action = serializers.CharField()
    at = serializers.CharField()
    user_id = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField(allow_blank=True)
    changes = serializers.ListField(child=serializers.DictField())
