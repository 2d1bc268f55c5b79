"""What partnerships do and what comes of it: activities, trainees (named and counted), learning
assessments, Kirkpatrick outcomes and knowledge items moving from transfer to effectiveness.

Every outcome hangs from an activity, and an activity from the stays during which it was delivered, so
mobility and outcomes connect (domain.md §3, §5)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from healthlinks.network.models import Person, Sex, Stay
from healthlinks.reference.models import Occupation, PurposeCode
from healthlinks.registry.models import Institution, Partnership


class ActivityType(models.TextChoices):
    TRAINING_COURSE = "training_course", _("Training course")
    WORKSHOP = "workshop", _("Workshop")
    MENTORING = "mentoring_programme", _("Mentoring programme")
    CLINICAL_ATTACHMENT = "clinical_attachment", _("Clinical attachment")
    CURRICULUM = "curriculum_development", _("Curriculum development")
    E_LEARNING = "e_learning_module", _("E-learning module")
    RESEARCH = "research_project", _("Research project")
    QUALITY_IMPROVEMENT = "quality_improvement", _("Quality improvement project")
    EQUIPMENT = "equipment_infrastructure", _("Equipment / infrastructure")


class ActivityMode(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    REMOTE = "remote", _("Remote")
    BLENDED = "blended", _("Blended")


class FacilityLevel(models.TextChoices):
    NATIONAL_REFERRAL = "national_referral", _("National referral")
    REGIONAL = "regional", _("Regional")
    DISTRICT = "district", _("District")
    PRIMARY = "primary", _("Primary")
    NOT_RECORDED = "not_recorded", _("Not recorded")


class Activity(models.Model):
    external_id = models.CharField(_("external id"), max_length=100, unique=True, null=True, blank=True)
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="activities")
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("type"), max_length=30, choices=ActivityType.choices)
    mode = models.CharField(_("mode"), max_length=10, choices=ActivityMode.choices)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    venue = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities_hosted",
        verbose_name=_("venue institution"),
    )
    facilitators = models.ManyToManyField(
        Person, blank=True, related_name="activities_facilitated", verbose_name=_("facilitators")
    )
    stays = models.ManyToManyField(
        Stay, blank=True, related_name="activities", verbose_name=_("stays during which it was delivered")
    )
    purpose_code = models.ForeignKey(
        PurposeCode, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("DAC purpose code")
    )
    training_of_trainers = models.BooleanField(_("training of trainers"), default=False)
    hours = models.DecimalField(
        _("hours"), max_digits=7, decimal_places=1, null=True, blank=True, validators=[MinValueValidator(Decimal(0))]
    )
    notes = models.TextField(_("notes"), blank=True)
    is_synthetic = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(m2m_fields=[facilitators, stays])

    class Meta:
        ordering = ["-start_date", "pk"]
        verbose_name_plural = _("activities")
        # the second: lists in their own order (newest first) read a page from the index, not a sort of all rows
        indexes = [models.Index(fields=["partnership", "start_date"]), models.Index(fields=["-start_date", "id"])]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("the end date is before the start date")})


class Trainee(models.Model):
    """A named trainee's attendance of one activity. Cadre and sex are the person's own."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="trainees")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="trainings")
    facility_level = models.CharField(
        _("facility level"), max_length=20, choices=FacilityLevel.choices, default=FacilityLevel.NOT_RECORDED
    )
    completed = models.BooleanField(_("completed"), default=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["activity", "person"], name="unique_trainee")]

    def __str__(self) -> str:
        return f"{self.person} in {self.activity}"


class AggregateTrainees(models.Model):
    """Trainees counted, not named: one row per cadre x sex x facility level of an activity. The count is
    everyone trained in that cell, named trainees of the same activity and cell included."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="aggregate_trainees")
    cadre = models.ForeignKey(Occupation, on_delete=models.PROTECT, null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=12, choices=Sex.choices, default=Sex.NOT_RECORDED)
    facility_level = models.CharField(
        _("facility level"), max_length=20, choices=FacilityLevel.choices, default=FacilityLevel.NOT_RECORDED
    )
    count = models.PositiveIntegerField(_("trainees"))
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["activity", "cadre", "sex", "facility_level"], name="unique_aggregate")
        ]

    def __str__(self) -> str:
        return f"{self.count} in {self.activity}"


class CascadeReport(models.Model):
    """A trainee who went on to train others, and how many."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="cascades")
    source_activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="cascades", verbose_name=_("activity where they were trained")
    )
    people_trained = models.PositiveIntegerField(_("people they trained"))
    reported_on = models.DateField(_("reported on"))
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.person} trained {self.people_trained}"


class Assessment(models.Model):
    """Kirkpatrick level 2: a trainee's pre- and post-test scores."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="assessments")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="assessments")
    pre_score = models.DecimalField(_("pre-test score"), max_digits=7, decimal_places=2)
    post_score = models.DecimalField(_("post-test score"), max_digits=7, decimal_places=2)
    max_score = models.DecimalField(_("maximum score"), max_digits=7, decimal_places=2, default=Decimal(100))
    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["activity", "person"], name="unique_assessment")]

    def __str__(self) -> str:
        return f"{self.person}: {self.pre_score} → {self.post_score}"

    def clean(self) -> None:
        errors = {}
        if self.max_score is not None and self.max_score <= 0:
            errors["max_score"] = _("the maximum score must be more than zero")
        for name in ("pre_score", "post_score"):
            value = getattr(self, name)
            if value is not None and self.max_score and not 0 <= value <= self.max_score:
                errors[name] = _("the score must be between 0 and the maximum score")
        if errors:
            raise ValidationError(errors)

    @property
    def gain(self) -> Decimal:
        return self.post_score - self.pre_score

    @property
    def normalised_gain(self) -> float | None:
        """Hake's normalised gain (post - pre) / (max - pre); undefined when the pre-test was already perfect."""
        room = self.max_score - self.pre_score
        if room <= 0:
            return None
        return float((self.post_score - self.pre_score) / room)


class Level(models.IntegerChoices):
    REACTION = 1, _("L1 Reaction")
    LEARNING = 2, _("L2 Learning")
    BEHAVIOUR = 3, _("L3 Behaviour")
    RESULTS = 4, _("L4 Results")


class Dimension(models.TextChoices):
    SATISFACTION = "satisfaction", _("Satisfaction")
    RELEVANCE = "relevance", _("Relevance")
    ENGAGEMENT = "engagement", _("Engagement")
    CONFIDENCE = "confidence", _("Confidence")
    PRACTICE = "practice", _("Practice at follow-up")
    INDICATOR = "indicator", _("Facility indicator")


LEVEL_DIMENSIONS = {
    Level.REACTION: {Dimension.SATISFACTION, Dimension.RELEVANCE, Dimension.ENGAGEMENT},
    Level.LEARNING: {Dimension.CONFIDENCE},
    Level.BEHAVIOUR: {Dimension.PRACTICE},
    Level.RESULTS: {Dimension.INDICATOR},
}


class Method(models.TextChoices):
    SURVEY = "survey", _("Survey")
    OBSERVED = "observed", _("Observed")
    SELF_REPORTED = "self_reported", _("Self-reported")
    RECORDS = "records", _("Record review")


class Outcome(models.Model):
    """A Kirkpatrick L1, L3 or L4 measure (L2 test scores are Assessments).

    L1: a 1-5 rating of satisfaction, relevance or engagement. L3: practice changed (yes/no) at a follow-up
    of 3, 6 or 12 months, observed or self-reported. L4: a facility indicator value with its unit."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="outcomes")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, null=True, blank=True, related_name="outcomes")
    level = models.PositiveSmallIntegerField(_("Kirkpatrick level"), choices=Level.choices)
    dimension = models.CharField(_("dimension"), max_length=14, choices=Dimension.choices)
    rating = models.PositiveSmallIntegerField(
        _("rating (1-5)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    practice_changed = models.BooleanField(_("practice changed"), null=True, blank=True)
    follow_up_months = models.PositiveSmallIntegerField(
        _("follow-up (months)"), null=True, blank=True, choices=[(3, "3"), (6, "6"), (12, "12")]
    )
    indicator = models.CharField(_("indicator"), max_length=200, blank=True)
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=3, null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    method = models.CharField(_("method"), max_length=14, choices=Method.choices, blank=True)
    recorded_on = models.DateField(_("recorded on"))
    history = HistoricalRecords()

    class Meta:
        indexes = [models.Index(fields=["activity", "level"])]

    def __str__(self) -> str:
        return f"L{self.level} {self.dimension} {self.activity}"

    def clean(self) -> None:
        if self.level in LEVEL_DIMENSIONS and self.dimension not in LEVEL_DIMENSIONS[Level(self.level)]:
            allowed = ", ".join(sorted(LEVEL_DIMENSIONS[Level(self.level)]))
            raise ValidationError({"dimension": _("level %(l)s measures %(d)s") % {"l": self.level, "d": allowed}})
        if self.level == Level.REACTION and self.rating is None:
            raise ValidationError({"rating": _("a reaction outcome needs a rating from 1 to 5")})
        if self.level == Level.BEHAVIOUR:
            if self.practice_changed is None:
                raise ValidationError({"practice_changed": _("say whether practice changed")})
            if self.follow_up_months is None:
                raise ValidationError({"follow_up_months": _("give the follow-up interval: 3, 6 or 12 months")})
        if self.level == Level.RESULTS and (not self.indicator or self.value is None):
            raise ValidationError({"indicator": _("a results outcome needs an indicator and its value")})


class KnowledgeKind(models.TextChoices):
    GUIDELINE = "guideline", _("Guideline")
    PROTOCOL = "protocol", _("Protocol")
    CLINICAL_SKILL = "clinical_skill", _("Clinical skill")
    MANAGEMENT = "management_practice", _("Management practice")


class Direction(models.TextChoices):
    NORTH_SOUTH = "north_south", _("North → South")
    SOUTH_NORTH = "south_north", _("South → North")
    SOUTH_SOUTH = "south_south", _("South → South")


class Stage(models.IntegerChoices):
    TRANSFERRED = 1, _("Transferred")
    TRANSLATED = 2, _("Translated (adapted to local context)")
    EFFECTIVE = 3, _("Effective (used in practice)")


class KnowledgeItem(models.Model):
    """Knowledge moving through a partnership (Ackers: transfer → translation → effectiveness)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="knowledge_items")
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=KnowledgeKind.choices)
    direction = models.CharField(_("direction"), max_length=12, choices=Direction.choices)
    stage = models.PositiveSmallIntegerField(_("stage"), choices=Stage.choices, default=Stage.TRANSFERRED)
    adaptation = models.TextField(_("how it was adapted"), blank=True)
    sustained_at_follow_up = models.BooleanField(_("sustained at follow-up"), null=True, blank=True)
    transferred_on = models.DateField(_("transferred on"), null=True, blank=True)
    translated_on = models.DateField(_("translated on"), null=True, blank=True)
    effective_on = models.DateField(_("effective on"), null=True, blank=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.stage >= Stage.TRANSLATED and not self.adaptation.strip():
            raise ValidationError({"adaptation": _("say how the knowledge was adapted to the local context")})
        dates = [d for d in (self.transferred_on, self.translated_on, self.effective_on) if d]
        if dates != sorted(dates):
            raise ValidationError({"translated_on": _("the stages' dates must follow one another")})
