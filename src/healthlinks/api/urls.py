from django.urls import include, path, re_path
from rest_framework.routers import DefaultRouter

from healthlinks.api import (
    activities,
    analytics,
    careers,
    evaluation,
    network,
    planning,
    programmes,
    projects,
    readiness,
    results,
    tokens,
    views,
)
from healthlinks.api import interviews as interviews_api

app_name = "api"

router = DefaultRouter()
router.register("countries", views.CountryViewSet, basename="country")
router.register("occupations", views.OccupationViewSet, basename="occupation")
router.register("organisation-types", views.OrganisationTypeViewSet, basename="organisation-type")
router.register("purpose-codes", views.PurposeCodeViewSet, basename="purpose-code")
router.register("specialties", views.SpecialtyViewSet, basename="specialty")
router.register("delivery-methods", views.DeliveryMethodViewSet, basename="delivery-method")
router.register("funding-schemes", views.FundingSchemeViewSet, basename="funding-scheme")
router.register("institutions", views.InstitutionViewSet, basename="institution")
router.register("partnerships", views.PartnershipViewSet, basename="partnership")
router.register("people", network.PersonViewSet, basename="person")
router.register("person-roles", network.PersonRoleViewSet, basename="person-role")
router.register("stays", network.StayViewSet, basename="stay")
router.register("ties", network.TieViewSet, basename="tie")
router.register(r"stays/(?P<stay_pk>[0-9]+)/readiness", readiness.StayReadinessViewSet, basename="stay-readiness")
router.register("readiness-items", readiness.ReadinessItemViewSet, basename="readiness-item")
router.register("readiness", readiness.ReadinessOverviewViewSet, basename="readiness")
router.register("career-records", careers.CareerRecordViewSet, basename="career-record")
router.register("plans", planning.PlanViewSet, basename="plan")
router.register("activities", activities.ActivityViewSet, basename="activity")
router.register("trainees", activities.TraineeViewSet, basename="trainee")
router.register("aggregate-trainees", activities.AggregateTraineeViewSet, basename="aggregate-trainee")
router.register("assessments", activities.AssessmentViewSet, basename="assessment")
router.register("outcomes", activities.OutcomeViewSet, basename="outcome")
router.register("knowledge-items", activities.KnowledgeItemViewSet, basename="knowledge-item")
router.register("cascades", activities.CascadeViewSet, basename="cascade")
router.register("costs", results.CashCostViewSet, basename="cost")
router.register("in-kind", results.InKindViewSet, basename="in-kind")
router.register("currency-rates", results.CurrencyRateViewSet, basename="currency-rate")
router.register("day-rates", results.DayRateViewSet, basename="day-rate")
router.register("results", results.ResultViewSet, basename="result")
router.register("indicators", results.IndicatorViewSet, basename="indicator")
router.register("analytics/mobility", analytics.MobilityViewSet, basename="analytics-mobility")
router.register("analytics/network", analytics.NetworkViewSet, basename="analytics-network")
router.register("analytics/impact", analytics.ImpactViewSet, basename="analytics-impact")
router.register("analytics/value-for-money", analytics.ValueForMoneyViewSet, basename="analytics-vfm")
router.register("analytics/typology", analytics.TypologyViewSet, basename="analytics-typology")
router.register("analytics/retention", careers.RetentionViewSet, basename="analytics-retention")
router.register("instruments", evaluation.InstrumentViewSet, basename="instrument")
router.register("responses", evaluation.ResponseViewSet, basename="response")
router.register("projects", projects.ProjectViewSet, basename="project")
router.register("programmes", programmes.ProgrammeViewSet, basename="programme")
router.register("codes", interviews_api.CodeViewSet, basename="code")
router.register("sources", interviews_api.SourceViewSet, basename="source")
router.register("segments", interviews_api.SegmentViewSet, basename="segment")
router.register("memos", interviews_api.MemoViewSet, basename="memo")
router.register("references", interviews_api.ReferenceViewSet, basename="reference")
router.register("themes", interviews_api.ThemeViewSet, basename="theme")

urlpatterns = [
    path("token/", tokens.TokenView.as_view(), name="token"),
    path("", include(router.urls)),
    # Anything else under /api/v1/ is a JSON 404, not the site's HTML page.
    re_path(r"^.*$", views.not_found, name="not-found"),
]
