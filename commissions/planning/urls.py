"""Planning routes: API halves (HQ, branch) and page halves (HQ, branch)."""
from django.urls import path

from . import apis, views

hq_api_patterns = [
    path("planning/rule-drafts/", apis.RuleDraftListApi.as_view(), name="api-rule-drafts"),
    path("planning/rule-drafts/<int:draft_id>/replay/", apis.RuleDraftReplayApi.as_view(), name="api-rule-draft-replay"),
    path("planning/rule-drafts/<int:draft_id>/publish/", apis.RuleDraftPublishApi.as_view(),
         name="api-rule-draft-publish"),
    path("planning/rule-drafts/<int:draft_id>/discard/", apis.RuleDraftDiscardApi.as_view(),
         name="api-rule-draft-discard"),
    path("planning/suggestions/", apis.HQSuggestionsApi.as_view(), name="api-hq-suggestions"),
    path("planning/suggestions/draft/", apis.HQSuggestionDraftApi.as_view(), name="api-hq-suggestion-draft"),
]

branch_api_patterns = [
    path("planning/adjustments/replay/", apis.AdjustmentDraftReplayApi.as_view(), name="api-adjustment-draft-replay"),
    path("planning/adjustments/<int:adjustment_id>/replay/", apis.AdjustmentReplayApi.as_view(),
         name="api-adjustment-replay"),
    path("planning/suggestions/", apis.BranchSuggestionsApi.as_view(), name="api-branch-suggestions"),
    path("planning/suggestions/draft/", apis.BranchSuggestionDraftApi.as_view(), name="api-branch-suggestion-draft"),
]

hq_page_patterns = [
    path("commissions/rules/drafts/", views.hq_planning, name="hq-planning"),
    path("commissions/rules/drafts/<int:draft_id>/", views.hq_draft, name="hq-planning-draft"),
    path("commissions/rules/drafts/<int:draft_id>/decide/", views.hq_draft_decide, name="hq-planning-draft-decide"),
    path("commissions/rules/drafts/<int:draft_id>/replay.<str:fmt>", views.hq_draft_export,
         name="hq-planning-draft-export"),
    path("commissions/rules/suggestions/draft/", views.hq_suggestion_draft, name="hq-planning-suggestion-draft"),
]

branch_page_patterns = [
    path("commissions/adjustments/planning/", views.branch_planning, name="cm-planning"),
    path("commissions/adjustments/planning/replay.<str:fmt>", views.branch_replay_export, name="cm-planning-export"),
    path("commissions/adjustments/planning/draft/", views.branch_suggestion_draft, name="cm-planning-suggestion-draft"),
]
