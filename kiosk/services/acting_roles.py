"""Who may act in a role for a student: one home for the rule (DOMAIN.md, "Who may act").

A step that names a role for a student (班主任 approving a guest, acknowledging an escalation step,
confirming a verbal permission) may be done only by that student's own head teacher, or by a role above it
on the ladder (duty leader, then principal, then admin). Being a head teacher of some class is not enough.
Pure functions: roles and class names in, an answer out.
"""
from __future__ import annotations

HEAD_TEACHER = "head_teacher"
# The ladder, lowest first. Anyone holding a later role may act for an earlier one.
LADDER = (HEAD_TEACHER, "duty_leader", "principal", "admin")


def may_act_as(role: str, roles: frozenset[str], staff_class: str, student_class: str | None) -> bool:
    """Whether a person with `roles` (and, if a head teacher, the class `staff_class`) may act as `role` for a
    student of `student_class`. With no student (None) only a role above the head teacher can stand in: there
    is no class to check."""
    if "admin" in roles:
        return True
    if role in LADDER and roles & set(LADDER[LADDER.index(role) + 1:]):
        return True
    if role not in roles:
        return False
    if role != HEAD_TEACHER:
        return True
    return bool(staff_class) and student_class is not None and staff_class == student_class


def may_act_as_head_teacher(roles: frozenset[str], staff_class: str, student_class: str | None) -> bool:
    return may_act_as(HEAD_TEACHER, roles, staff_class, student_class)


# Roles that see every class's slips, verbal permissions, conflicts and gate refusals; a head teacher sees their own
# class.
SCHOOL_WIDE_ROLES = frozenset({"admin", "discipline", "principal", "duty_leader"})


def listing_class(roles: frozenset[str] | None, staff_class: str) -> str | None:
    """The class whose slips, verbal permissions, conflicts and gate refusals a person sees (lists and status-bar
    counts alike); None for every class. Nobody logged in (None) is a station with no one to hide from: every class."""
    if roles is None or roles & SCHOOL_WIDE_ROLES:
        return None
    return staff_class or "-"  # a head teacher without a class sees none


def session_listing_class(session) -> str | None:
    """listing_class for whoever is logged in (a StaffSession, or None when nobody is)."""
    return listing_class(session.roles if session else None, session.class_name if session else "")
