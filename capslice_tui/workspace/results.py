"""The shapes of what the workspace facade returns as dicts, as ``TypedDict`` classes.

The facade (:class:`capslice_tui.workspace.Workspace`) hands the CLI and the app plain dicts
(JSON-ready, the ``--format json`` payloads) and dataclasses whose ``to_dict()`` gives such a
dict. This module names every key of those dicts with its type and meaning so that mypy
checks the front ends' key lookups, and so that the screens' test fake
(``tests/app/fake_facade.py``) is checked against the same declaration as the real results
(``tests/unit/test_fake_facade_contract.py`` checks both against each other and against these
classes at run time).

Conventions (as everywhere in capslice): a *score*, *share*, *deficit*, *diff* or *interval
bound* is a proportion in 0..1 (a difference in -1..1), never a percentage; ``n_items`` counts
items (doc ids), ``n_samples`` samples (several per item for pass@k runs); ``correct`` is the
sum of the per-sample scores (a float: scores may be fractional). A key whose value can be
absent from the data is typed ``X | None``; a key that is only present in some results is
declared in a ``total=False`` subclass. Dicts keyed by data (slice predicates axis -> value,
failure mode -> count, run name -> ...) stay ``dict[str, ...]``.

Nothing here is used at run time by the facade: these are annotations (and ``typing.cast``
targets where a result is assembled from ``dict[str, Any]`` pieces).

Every command imports this module (the facade names these types at run time), so its
annotations are evaluated, not postponed: ``TypedDict`` turns a postponed (string) annotation
into a compiled ``ForwardRef``, which made the import ~4x slower (issue 14). A class may
therefore only name classes defined above it.
"""

from typing import Any, TypedDict

# ---------------------------------------------------------------- runs


class BenchmarkScore(TypedDict):
    """One benchmark of a run in :meth:`Workspace.runs` (primary filter of each task).

    Keys: ``score`` (accuracy or mean score, 0..1; the macro mean of the tasks when
    ``average`` is ``macro``), ``ci_low``/``ci_high`` (95% interval, 0..1), ``correct``
    (summed sample scores), ``n_items``, ``n_samples``, ``metric`` (the metric's name),
    ``average`` (``micro`` or ``macro``), ``n_tasks`` (tasks of the benchmark in the run).
    """

    score: float
    ci_low: float
    ci_high: float
    correct: float
    n_items: int
    n_samples: int
    metric: str
    average: str
    n_tasks: int


class _RunRow(TypedDict):
    name: str
    model: str | None
    step: int | None
    status: str
    n_samples: int
    n_bad: int
    source_format: str | None
    schema_variant: str | None
    incomplete_reason: str | None
    created_at: str
    origin: str
    benchmarks: dict[str, BenchmarkScore]


class RunRow(_RunRow, total=False):
    """One run in :meth:`Workspace.runs`.

    Keys: ``name``, ``model`` and ``step`` (training step) as recorded; ``status``
    (``complete``, ``incomplete (k of N records)``, ``ingesting (pid P on H)``...);
    ``n_samples`` stored (counted so far for an unfinished ingest); ``n_bad`` unreadable
    lines; ``source_format`` (the log format) and ``schema_variant`` (its layout);
    ``incomplete_reason`` (why the run is incomplete, with the resume and delete commands);
    ``created_at`` (UTC timestamp text); ``origin`` (``local``, ``pulled from H`` or
    ``pushed to H``); ``benchmarks`` (benchmark -> :class:`BenchmarkScore`).
    ``interrupted`` is present only when the last ingest was interrupted: its state row
    (``state``, ``reason``, ``k``, ``n_expected``, ``command``...) plus the ``resume`` and
    ``delete`` commands. ``score_caveats``: tasks whose capslice score reflects the strict
    answer format, not the answers (the lenient score named).
    """

    interrupted: dict[str, Any]
    score_caveats: list[str]


class RunTask(TypedDict):
    """One task of a run with its generation settings (:meth:`Workspace.run_info`).

    Keys: ``run_id``, ``task``, ``benchmark``, ``primary_filter`` (the answer filter scores
    are read on), ``filters`` (every filter logged), ``max_gen_toks``, ``until`` (stop
    sequences), ``temperature``, ``do_sample`` (0/1), ``repeats`` (samples per item),
    ``eos_token``, ``num_fewshot``; a setting the log did not record is None.
    """

    run_id: int
    task: str
    benchmark: str
    primary_filter: str
    filters: list[str]
    max_gen_toks: int | None
    until: list[str] | None
    temperature: float | None
    do_sample: int | None
    repeats: int | None
    eos_token: str | None
    num_fewshot: int | None


class RunInfo(TypedDict):
    """One run's record (:meth:`Workspace.run_info`): the ``runs`` row plus its ``tasks``.

    Keys: ``id``, ``name``, ``model``, ``step``, ``tokens_seen`` (training tokens, if
    given), ``source_format``, ``source_files`` (paths read), ``meta`` (what the log said
    about itself: harness version, model args, ``schema_variant``, ``ingest_command``,
    ``ingest_notes``...; keys vary by format), ``status``, ``n_samples``, ``n_bad``,
    ``created_at``, ``created_by`` and ``tasks`` (:class:`RunTask` rows).
    """

    id: int
    name: str
    model: str | None
    step: int | None
    tokens_seen: int | None
    source_format: str | None
    source_files: list[str]
    meta: dict[str, Any] | None
    status: str
    n_samples: int
    n_bad: int
    created_at: str
    created_by: str | None
    tasks: list[RunTask]


# ---------------------------------------------------------------- samples


class SampleRow(TypedDict):
    """One sample in a listing (:meth:`Workspace.samples`).

    Keys: ``id`` (sample id, for :meth:`Workspace.sample`), ``task``, ``filter`` (answer
    filter), ``doc_id``, ``sample_idx`` (0.. within the item), ``item_id``, ``score`` (0..1;
    None when the log had no usable score), ``lenient`` (score under capslice's lenient
    re-extraction), ``failure_mode``, ``failure_signals`` (comma-separated evidence flags
    such as ``stop_literal``, ``repetition``; None when none: a correct sample can carry
    them), ``response`` (its first 200 characters; possibly cut
    at ingest), ``response_end`` (the last 120 characters of a response longer than 200,
    else None: where the answer is), ``extracted`` (the harness's answer),
    ``lenient_extracted``, ``target``, ``question``.
    """

    id: int
    task: str
    filter: str
    doc_id: str
    sample_idx: int
    item_id: int
    score: float | None
    lenient: float | None
    failure_mode: str | None
    failure_signals: str | None
    response: str | None
    response_end: str | None
    extracted: str | None
    lenient_extracted: str | None
    target: str | None
    question: str | None


class SamplePageRow(SampleRow):
    """A :class:`SampleRow` of :meth:`Workspace.samples_page`, with ``sort_key``: the value
    of the sort column; ``(sort_key, id)`` is the key to page from."""

    sort_key: Any


class SampleDetail(TypedDict):
    """One sample in full (:meth:`Workspace.sample`): the stored sample, its item and labels.

    Sample keys: ``id``, ``run_id``, ``item_id``, ``task``, ``filter``, ``doc_id``,
    ``sample_idx``, ``ingest_id``, ``prompt_hash``, ``response`` (may be cut at ingest:
    ``response_chars`` is the full length, ``response_sha256`` the full text's hash when
    cut), ``extracted``, ``official`` (the log's score), ``score`` (the score capslice uses,
    0..1), ``score_source`` (``log`` or ``capslice``), ``lenient_extracted``, ``lenient``,
    ``failure_mode``, ``failure_reason``, ``finish_reason``, ``n_output_tokens``, ``metrics``
    (metric -> value as logged), ``failure_signals`` (comma-separated signal names or None),
    ``settings_hash``, ``reasoning`` and ``reasoning_chars`` (a reasoning model's separate
    thinking text). Item keys: ``question``, ``target``, ``doc`` (the logged doc, parsed),
    ``item_hash``, ``prompt``. Labels: the four axes' values (None: unlabelled) and
    ``label_sources`` (axis -> ``rule``, ``hand`` or ``cluster``).
    """

    id: int
    run_id: int
    item_id: int
    task: str
    filter: str
    doc_id: str
    sample_idx: int
    ingest_id: int | None
    prompt_hash: str | None
    response: str | None
    response_chars: int | None
    response_sha256: str | None
    extracted: str | None
    official: float | None
    score: float | None
    score_source: str | None
    lenient_extracted: str | None
    lenient: float | None
    failure_mode: str | None
    failure_reason: str | None
    finish_reason: str | None
    n_output_tokens: int | None
    metrics: dict[str, Any]
    failure_signals: str | None
    settings_hash: str | None
    reasoning: str | None
    reasoning_chars: int | None
    question: str | None
    target: str | None
    doc: dict[str, Any] | None
    item_hash: str | None
    prompt: str | None
    background_condition: str | None
    task_type: str | None
    solving_operation: str | None
    output_constraint: str | None
    label_sources: dict[str, str]


# ---------------------------------------------------------------- slices


class SliceRowDict(TypedDict):
    """One slice of one run (``SliceRow.to_dict()``).

    Keys: ``slice`` (axis -> value; ``{"all": "all"}`` for the whole run), ``n_items``,
    ``n_samples``, ``correct``, ``score`` (0..1), ``ci_low``/``ci_high`` (its interval, 0..1),
    ``metric``, ``interval`` (the interval's method: ``wilson``, ``bootstrap``...),
    ``warning`` (why the number is weak, e.g. a small slice; None when sound), ``pass_at_k``
    (``"k"`` -> ``score``, ``ci_low``, ``ci_high``, ``coverage``, ``n_eligible``,
    ``expected_solved``), ``lenient_score`` (under lenient re-extraction) and
    ``extraction_gap`` (lenient minus official; None when unknown), ``average`` (``micro`` or
    ``macro``) and ``n_tasks`` (tasks averaged by a macro row, else None).
    """

    slice: dict[str, str]
    n_items: int
    n_samples: int
    correct: float
    score: float
    ci_low: float
    ci_high: float
    metric: str
    interval: str
    warning: str | None
    pass_at_k: dict[str, dict[str, float]]
    lenient_score: float | None
    extraction_gap: float | None
    average: str
    n_tasks: int | None


class IndistinctAxisDict(TypedDict):
    """An axis on which every item of a benchmark has one value (``IndistinctAxis.to_dict()``):
    ``benchmark``, ``axis``, ``value`` (None: no item labelled), ``n_items``,
    ``n_unlabelled`` and the ``note`` sentence."""

    benchmark: str
    axis: str
    value: str | None
    n_items: int
    n_unlabelled: int
    note: str


class SliceTableDict(TypedDict):
    """All slices of one run under one grouping (``SliceTable.to_dict()``).

    Keys: ``run``, ``benchmark`` (None: all), ``by`` (the grouping axes), ``average``,
    ``samples_per_item`` (every item's number of samples, ``8``, or None when items
    differ), ``min_samples_per_item`` and ``max_samples_per_item`` (the fewest and the most
    any item has: ``16`` and ``128``), ``overall``
    (whole-run row),
    ``slices`` (one :class:`SliceRowDict` per slice), ``indistinct_axes`` and ``notes``.
    """

    run: str
    benchmark: str | None
    by: list[str]
    average: str
    samples_per_item: int | None
    min_samples_per_item: int
    max_samples_per_item: int
    overall: SliceRowDict
    slices: list[SliceRowDict]
    indistinct_axes: list[IndistinctAxisDict]
    incomplete: list[str]
    notes: list[str]


# ---------------------------------------------------------------- compare


class CompareSide(TypedDict):
    """One run's side of a compared slice: ``score`` (0..1), ``correct``, ``n`` (samples),
    ``n_items``, ``ci_low``/``ci_high`` (0..1)."""

    score: float
    correct: float
    n: int
    n_items: int
    ci_low: float
    ci_high: float


class Discordant(TypedDict):
    """Discordant pairs of an exact McNemar test: items right only in the base run
    (``base_only``) and only in the candidate (``cand_only``)."""

    base_only: int
    cand_only: int


class CompareRow(TypedDict):
    """One slice of a comparison (``Comparison.rows`` / ``overall``).

    Keys: ``slice`` (axis -> value; ``{"all": "all"}`` overall), ``n_items`` (paired items),
    ``base``/``cand`` (:class:`CompareSide`), ``diff`` (cand - base, -1..1) with its interval
    ``diff_low``/``diff_high``, ``p_value`` and ``p_adjusted`` (Benjamini-Hochberg; NaN when
    not tested), ``significant``, ``tested`` (False: under the minimum size), ``test``
    (``mcnemar-exact`` or ``paired-bootstrap``...), ``discordant`` (McNemar only, else None),
    ``mdd`` (minimum detectable difference at this size, 0..1), ``marker`` (``worse*``,
    ``better*`` or ``""``), ``warning``.
    """

    slice: dict[str, str]
    n_items: int
    base: CompareSide
    cand: CompareSide
    diff: float
    diff_low: float
    diff_high: float
    p_value: float
    p_adjusted: float
    significant: bool
    tested: bool
    test: str
    n_boot: int  # bootstrap resamples B (0: McNemar); a p at 1/(B+1) reads <1/B
    discordant: Discordant | None
    mdd: float | None
    marker: str
    warning: str | None


class ComparisonDict(TypedDict):
    """``Comparison.to_dict()``: ``base``, ``cand``, ``benchmark``, ``by`` (grouping axes),
    ``k`` (pass@k, None: accuracy), ``q`` (false discovery rate), ``n_tested`` (slices tested),
    ``overall`` and ``rows`` (:class:`CompareRow`), ``notes``, ``evaluation_warning`` (the
    runs evaluated the paired items differently, as ``diagnose``'s evaluation check finds;
    None when they did not)."""

    base: str
    cand: str
    benchmark: str | None
    by: list[str]
    k: int | None
    q: float
    n_tested: int
    overall: CompareRow
    rows: list[CompareRow]
    notes: list[str]
    incomplete: list[str]
    evaluation_warning: str | None  # the runs' evaluation differs (None: it does not)
    pair_warning: str | None  # the same run twice, or different models (None: neither)


# ---------------------------------------------------------------- diagnose


class EvidenceDict(TypedDict):
    """One checkable fact behind a verdict: ``name``, ``value`` (a number in ``unit``, or a
    count string such as ``"8/30"``), ``unit`` (``points``, ``%``, ``p``, ``items``,
    ``slices``, ``share`` or ``""``), ``detail`` (the counts a reviewer can check)."""

    name: str
    value: Any
    unit: str
    detail: str


class ModeShift(TypedDict):
    """A failure mode's share in each run (0..1) and its ``contribution`` to the change
    (proportion; negative: it caused a drop). For ``correct`` the contribution is the net
    change itself (its share change, the sum of the failure modes' contributions)."""

    mode: str
    base_share: float
    cand_share: float
    contribution: float


class _AxisRow(TypedDict):
    value: str
    n_items: float
    contribution: float
    eligible: bool


class AxisRow(_AxisRow, total=False):
    """One value of one axis in a diagnosis (``axes[axis]``): ``value``, ``n_items``
    (weighted items), ``contribution`` (its weighted part of the change or deficit),
    ``eligible`` (at least the minimum size). Change mode adds ``base_score``,
    ``cand_score`` and ``delta`` (0..1, -1..1); weakness mode ``score``, ``ci_low``,
    ``ci_high``, ``reference_score`` and ``deficit`` (score - reference)."""

    base_score: float
    cand_score: float
    delta: float
    score: float
    ci_low: float
    ci_high: float
    reference_score: float
    deficit: float


class AxisSpread(TypedDict):
    """How concentrated a change is on one axis: ``pattern`` (``spread``, ``concentrated``,
    ``mixed``, ``no_change``, ``single_slice``), ``slices_moving`` of ``slices_eligible``,
    ``top_value`` (the value carrying the largest share, or None) and ``top_share`` (0..1)."""

    pattern: str
    slices_moving: int
    slices_eligible: int
    top_value: str | None
    top_share: float


class Spread(TypedDict, total=False):
    """A change's spread (change mode; empty in weakness mode): ``pattern`` over the content
    axes, and one :class:`AxisSpread` per content axis."""

    pattern: str
    background_condition: AxisSpread
    task_type: AxisSpread
    solving_operation: AxisSpread
    output_constraint: AxisSpread


class _Combination(TypedDict):
    task_type: str
    solving_operation: str
    n_items: int
    score: float
    correct: float
    n_samples: int


class Combination(_Combination, total=False):
    """A task_type x solving_operation cell inside a slice: its ``n_items``, ``score``
    (mean item accuracy, 0..1), ``correct`` and ``n_samples``; against a reference run
    (weakness mode) also ``reference_score`` (the reference's mean item accuracy on the same
    items, 0..1) and ``deficit`` (score - reference_score), cells then largest deficit
    first."""

    reference_score: float
    deficit: float


class _DiagnosisSlice(TypedDict):
    slice: dict[str, str]
    label: str
    n_items: int
    score: float
    ci_low: float
    ci_high: float
    correct: float
    n_samples: int
    deficit: float
    p_value: float
    p_adjusted: float
    significant: bool
    wrong_answer_share: float
    dominant_failure_mode: str | None
    mode_counts: dict[str, int]
    combinations: list[Combination]


class DiagnosisSlice(_DiagnosisSlice, total=False):
    """A significant slice of a diagnosis.

    Always: ``slice``, ``label``, ``n_items``, ``score`` (the diagnosed/candidate run's, 0..1)
    with ``ci_low``/``ci_high``, ``correct``, ``n_samples``, ``deficit`` (score minus the
    run's average, or cand - base when paired), ``p_value``, ``p_adjusted``, ``significant``,
    ``wrong_answer_share`` (of the failing/moved samples, 0..1), ``dominant_failure_mode``,
    ``mode_counts``, ``combinations``. Paired rows (change mode, or against a reference) add
    ``aliases``, ``base_score``, ``diff``/``diff_low``/``diff_high``, ``test``,
    ``discordant`` and ``regressed_items``. Runs of several samples per item also carry a
    ``"pass@K"`` key (``score``, ``ci_low``, ``ci_high``), which a TypedDict cannot name.
    """

    aliases: list[str]
    base_score: float
    diff: float
    diff_low: float
    diff_high: float
    test: str
    n_boot: int  # bootstrap resamples B (0: McNemar); a p at 1/(B+1) reads <1/B
    discordant: Discordant | None
    regressed_items: int | None


class SettingDifferenceDict(TypedDict):
    """One evaluation setting that differs between two runs: ``key``, ``category``,
    ``n_items`` (items where it differs) of ``n_compared``, the distinct ``base_values`` and
    ``cand_values`` (display strings) and ``material`` (it makes them different evaluations)."""

    key: str
    category: str
    n_items: int
    n_compared: int
    base_values: list[str]
    cand_values: list[str]
    material: bool


class EvaluationCheckDict(TypedDict):
    """Whether two runs were evaluated the same way (``EvaluationCheck.to_dict()``):
    ``n_items`` shared, ``changed``, ``differences``, ``items_by_category`` (category ->
    items), ``unchecked`` and ``not_recorded`` settings, ``not_compared`` (categories neither
    run recorded on both sides: few-shot, decoding), ``summary`` sentence."""

    n_items: int
    changed: bool
    differences: list[SettingDifferenceDict]
    items_by_category: dict[str, int]
    unchecked: list[str]
    not_recorded: list[str]
    not_compared: list[str]
    summary: str


class OtherEvaluationDict(TypedDict):
    """Another run of the same items evaluated differently (weakness mode): ``run``,
    ``differences`` (sentence), ``n_items`` shared, ``diff`` (its accuracy minus this run's,
    -1..1), ``p_value``, ``sensitive`` (weak slice labels it scores significantly higher on),
    ``large`` (the difference is large)."""

    run: str
    differences: str
    n_items: int
    diff: float
    p_value: float
    sensitive: list[str]
    large: bool


class DiagnosisDict(TypedDict):
    """``Diagnosis.to_dict()`` (``capslice diagnose --format json``).

    Keys: ``mode`` (``change`` or ``weakness``), ``base``, ``cand`` (None in weakness mode),
    ``benchmark``, ``reference``; the verdict (``verdict``: ``data``/``not_data``/
    ``inconclusive``, ``reason`` token, ``summary``, ``causes``, ``evidence``);
    ``failure_modes`` (run -> mode -> samples), ``failure_mode_shift``, ``axes`` (axis ->
    :class:`AxisRow`), ``spread``, ``slices`` and ``slices_tested``; ``direction`` (change
    mode: ``drop``/``gain``/``none``; weakness: None), ``evaluation`` (None when not
    compared), ``other_evaluations``, ``explained_slices`` (significant slices that overlap
    explains, with a ``note``), ``notes``.
    """

    mode: str
    base: str
    cand: str | None
    benchmark: str | None
    reference: str | None
    verdict: str
    reason: str
    summary: str
    causes: list[str]
    evidence: list[EvidenceDict]
    failure_modes: dict[str, dict[str, int]]
    failure_mode_shift: list[ModeShift]
    axes: dict[str, list[AxisRow]]
    spread: Spread
    slices: list[DiagnosisSlice]
    slices_tested: int
    direction: str | None
    evaluation: EvaluationCheckDict | None
    other_evaluations: list[OtherEvaluationDict]
    explained_slices: list[dict[str, Any]]
    incomplete: list[str]
    notes: list[str]
    pair_warning: str | None  # the same run twice, or different models (None: neither)


class DiagnosisVerdictDict(TypedDict):
    """``DiagnosisVerdict.to_dict()``: the decision a caller acts on (see its docstring)."""

    verdict: str
    reason: str
    summary: str
    mode: str
    direction: str | None
    significant_drop: bool
    evaluation_changed: bool
    slices: list[DiagnosisSlice]


# ---------------------------------------------------------------- trend


class TrendRunDict(TypedDict):
    """A checkpoint of a trend: ``name``, ``step`` (training step), ``model``."""

    name: str
    step: int
    model: str | None


class TrendSeriesDict(TypedDict):
    """One slice over the runs: ``slice`` and ``points``, one per run: ``run`` and ``step``
    plus the run's :class:`SliceRowDict` keys, or only ``score: None`` (a gap)."""

    slice: dict[str, str]
    points: list[dict[str, Any]]


class TrendDict(TypedDict):
    """``Trend.to_dict()`` (``capslice trend --format json``): ``runs`` in step order, ``by``,
    ``benchmark``, ``average``, ``intervals`` (methods used), ``overall`` and ``slices``
    series, ``warnings`` (why points are not comparable)."""

    runs: list[TrendRunDict]
    by: list[str]
    benchmark: str | None
    average: str
    intervals: list[str]
    overall: TrendSeriesDict
    slices: list[TrendSeriesDict]
    warnings: list[str]


class ModeMixDict(TypedDict):
    """One slice's failure-mode mix in one run: ``samples`` (scored samples, the denominator),
    ``counts`` (mode -> samples) and ``shares`` (mode -> counts/samples, 0..1)."""

    samples: int
    counts: dict[str, int]
    shares: dict[str, float]


class ModeSeriesDict(TypedDict):
    """One slice's mix over the runs: ``slice`` and ``points``, one per run: ``run`` and
    ``step`` plus the :class:`ModeMixDict` keys, or only ``samples: 0`` (a gap)."""

    slice: dict[str, str]
    points: list[dict[str, Any]]


class ModeTrendDict(TypedDict):
    """``ModeTrend.to_dict()`` (``capslice trend --modes --format json``): ``runs`` in step
    order, ``by``, ``benchmark``, ``modes`` (present, in display order), ``absent_modes``,
    ``overall`` and ``slices`` series, ``warnings``."""

    runs: list[TrendRunDict]
    by: list[str]
    benchmark: str | None
    modes: list[str]
    absent_modes: list[str]
    overall: ModeSeriesDict
    slices: list[ModeSeriesDict]
    warnings: list[str]


# ---------------------------------------------------------------- discovery, ingest, rescore


class DiscoveryDict(TypedDict):
    """``DiscoveryResult.to_dict()`` (``capslice discover --format json``): ``run``,
    ``params`` (the options used), ``n_samples`` read, ``n_clustered``, ``run_error_rate``
    (0..1), ``k`` and ``k_reason``, ``silhouette`` (``"k"`` -> score), ``structure``,
    ``n_candidates`` (groups tested), ``n_significant``, ``n_untested`` (groups spanning too
    few items to test), ``tests`` (the tests they took, in words; empty without an error
    contrast), ``folded`` (groups restating an existing label), ``notes``, ``saved``,
    ``suggestions`` (rows as described on ``DiscoveryResult``)."""

    run: str
    params: dict[str, Any]
    n_samples: int
    n_clustered: int
    run_error_rate: float | None
    k: int
    k_reason: str
    silhouette: dict[str, float]
    structure: str
    n_candidates: int
    n_significant: int
    n_untested: int
    tests: str
    folded: list[dict[str, Any]]
    notes: list[str]
    saved: bool
    suggestions: list[dict[str, Any]]


class _IngestReportSometimes(TypedDict, total=False):
    differing: dict[str, int]
    """Run name -> samples read that differ from those the run already held (not stored);
    present only when some run has such samples."""


class IngestReportDict(_IngestReportSometimes):
    """``IngestReport.to_dict()`` (``capslice ingest --json``): one key per attribute of
    :class:`capslice_tui.workspace.IngestReport` (see its docstring for each); ``differing``
    only when not empty."""

    runs: dict[str, int]
    n_read: int
    n_bad: int
    bad: list[str]
    format: str
    scored_by_capslice: int
    notes: list[str]
    read_per_run: dict[str, int]
    warnings: list[str]
    n_repeats: int
    n_conflicting: int
    n_missing_score: int
    n_torn: int
    fields: list[str]


RescoreTransition = TypedDict("RescoreTransition", {"from": str, "to": str, "n": int})
"""A failure-mode change of a rescore: ``from`` mode, ``to`` mode, ``n`` samples."""


class RescoreReportDict(TypedDict):
    """``RescoreReport.to_dict()``: one key per attribute of
    :class:`capslice_tui.workspace.RescoreReport` (``lenient_before``/``lenient_after`` are
    0..1), ``transitions`` as :data:`RescoreTransition` rows and the one-line ``summary``."""

    run: str
    dry_run: bool
    n_samples: int
    n_changed: int
    transitions: list[RescoreTransition]
    n_reason_only: int
    lenient_before: float
    lenient_after: float
    lenient_n_before: int
    lenient_n_after: int
    score_changed: int
    n_capslice_scored: int
    n_kept_cut: int
    examples: dict[str, list[int]]
    summary: str


# ---------------------------------------------------------------- reliability, exchange


class BackupReport(TypedDict):
    """:meth:`Workspace.backup`: ``source`` and ``target`` paths, ``bytes`` copied,
    ``integrity`` (SQLite ``integrity_check`` of the copy: ``ok`` or the problems)."""

    source: str
    target: str
    bytes: int
    integrity: str


class RunCompleteness(TypedDict):
    """``Workspace.run_completeness`` of an incomplete run: ``note`` is the one line every
    command and screen showing its scores prints (``big1 is incomplete (140,000 of 150,000
    records stored; ingest stopped by SIGINT): figures cover what is stored``); ``n_stored``
    the samples stored; ``totals_computed`` False when samples are stored but their per-item
    totals never were (an ingest killed); ``resume`` the command that completes it (None
    when not recorded)."""

    run: str
    note: str
    n_stored: int
    totals_computed: bool
    resume: str | None


class DoctorReport(TypedDict):
    """:meth:`Workspace.doctor`: ``path``, ``size_bytes`` and ``wal_bytes``, ``filesystem``
    (fstype, mountpoint, source, cluster), ``fs_warning``, ``findings`` (problems, each a
    dict), ``lease`` (the ingest lock holder or None), ``journal_mode``, ``integrity``
    (lines), ``damaged``, ``tables`` (table -> rows), ``schema`` (applied/pending/unknown
    migrations), ``interrupted`` (unfinished ingests), ``orphans`` (what -> rows). A count
    that could not be read is the text ``unreadable (reason)`` instead of a number."""

    path: str
    size_bytes: int
    wal_bytes: int
    filesystem: dict[str, Any]
    fs_warning: str | None
    findings: list[dict[str, Any]]
    lease: dict[str, Any] | None
    journal_mode: str
    integrity: list[str]
    damaged: bool
    tables: dict[str, int | str]
    schema: dict[str, list[str]]
    interrupted: list[dict[str, Any]]
    unfinished_imports: list[dict[str, Any]]
    """Runs an import marked and did not finish: ``{run, folder, k, command}`` (walk 18 F11)."""
    orphans: dict[str, int | str]


class ImportReportDict(TypedDict):
    """:meth:`Workspace.import_from`: the ``folder``, rows ``changed``, ``tables`` (table ->
    ``added``/``updated``/``present``/``held`` rows), ``conflicts`` and ``notes``."""

    folder: str
    changed: int
    tables: dict[str, dict[str, int]]
    conflicts: list[dict[str, Any]]
    notes: list[str]


# ---------------------------------------------------------------- labels


class LabelResult(TypedDict):
    """One labelling action (:meth:`Workspace.label_items`, ``label_samples``,
    ``label_where``, ``label_suggestion``): its ``batch`` id (for undo), label rows
    ``changed``, ``items`` touched, ``who`` and ``at`` (UTC timestamp text)."""

    batch: str
    changed: int
    items: int
    who: str
    at: str


class SliceLabelResult(LabelResult):
    """:meth:`Workspace.label_slice`: a :class:`LabelResult` plus the named slice's new
    ``version``."""

    version: int


class LabelValue(TypedDict):
    """One source's label of an item on an axis (``label_show``): ``item_id``, ``axis``,
    ``value``, ``source`` (``hand``, ``cluster`` or ``rule``), ``origin`` (what set it:
    ``items``, ``slice:NAME``, ``suggestion:ID``...), ``who``, ``at``, ``version``, ``note``
    and ``winner`` (this source decides the effective value: hand > cluster > rule)."""

    item_id: int
    axis: str
    value: str
    source: str
    origin: str | None
    who: str
    at: str
    version: int
    note: str | None
    winner: bool


class AxisLabels(TypedDict):
    """An item's labels on one axis: the ``effective`` value and its ``source`` (None when
    unlabelled) and every source's :class:`LabelValue`."""

    effective: str | None
    source: str | None
    values: list[LabelValue]


class LabelShow(TypedDict):
    """:meth:`Workspace.label_show`: ``item_id`` and ``axes`` (axis -> :class:`AxisLabels`)."""

    item_id: int
    axes: dict[str, AxisLabels]


class LabelHistoryRow(TypedDict):
    """One change of one label (:meth:`Workspace.label_history`, newest first): ``id``,
    ``item_id``, ``axis``, ``source``, ``old_value``/``new_value`` (None: absent), ``who``,
    ``at``, ``action`` (``set``, ``clear``, ``undo``...), ``batch``, ``old_note``/``new_note``
    and the replaced label's ``old_who``, ``old_at``, ``old_origin``."""

    id: int
    item_id: int
    axis: str
    source: str
    old_value: str | None
    new_value: str | None
    who: str
    at: str
    action: str
    batch: str | None
    old_note: str | None
    new_note: str | None
    old_who: str | None
    old_at: str | None
    old_origin: str | None


class LabelAction(TypedDict):
    """One labelling action (:meth:`Workspace.label_actions`, newest first): ``batch``,
    ``who``, ``at``, ``action``, ``n`` label rows, ``items``, ``axes`` and ``values``
    (comma-separated), ``notes``, ``last_id`` (its newest history row) and ``undone``."""

    batch: str
    who: str
    at: str
    action: str
    n: int
    items: int
    axes: str
    notes: str | None
    last_id: int
    values: str | None
    undone: bool


class UndoResult(TypedDict):
    """:meth:`Workspace.undo_labels`: the undo's own ``batch``, the batch it ``undid``, label
    rows ``restored`` and ``items`` touched."""

    batch: str
    undid: str
    restored: int
    items: int


class ItemDoc(TypedDict):
    """What a reader knows an item by (:meth:`Workspace.item_docs`): ``task``, ``doc_id``,
    ``benchmark``."""

    task: str
    doc_id: str
    benchmark: str


# ---------------------------------------------------------------- interventions


class InterventionRow(TypedDict):
    """One intervention in :meth:`Workspace.interventions` (newest first; no plan/outcome).

    Keys: ``id``, ``title``, ``hypothesis``, ``target_slices`` and ``control_slices``
    (pre-registered slices, grouping -> value), ``expected_effect`` (expected gain on the
    targets as a proportion, 0.1 = +10 points), ``benchmark``, ``baseline_run``,
    ``result_run`` (linked later), ``status`` (``proposed``, ``accepted``, ``rejected``,
    ``running``, ``evaluated``), ``decision_reason``, ``decided_by``, ``decided_at``,
    ``verdict`` (the stored name of the outcome: ``confirmed``, ``refuted``, ``inconclusive``,
    ``harmful``...; None until evaluated), ``author``, ``created_at``, ``updated_at``,
    ``version`` (bumped by every change; stale edits are conflicts), ``decision_warning``
    (a rejection that contradicts the measured outcome) and ``plan_forced`` (0/1: recorded
    although the plan refused some slices).
    """

    id: int
    title: str
    hypothesis: str
    target_slices: list[dict[str, str]]
    control_slices: list[dict[str, str]]
    expected_effect: float | None
    benchmark: str | None
    baseline_run: str
    result_run: str | None
    status: str
    decision_reason: str | None
    decided_by: str | None
    decided_at: str | None
    verdict: str | None
    author: str
    created_at: str
    updated_at: str
    version: int
    decision_warning: str | None
    plan_forced: int


class DidDict(TypedDict):
    """A difference in differences (``DidResult.to_dict()``): the mean per-item change
    (result - baseline, -1..1) of the targets and of the controls with their 95% intervals
    (``target_low``...), ``did`` (target change - control change) with ``did_low``/
    ``did_high``, the bootstrap ``p_value``, ``n_target``/``n_control`` items, the interval
    ``method``, ``n_resamples`` and ``random_state``."""

    target_change: float
    target_low: float
    target_high: float
    control_change: float
    control_low: float
    control_high: float
    did: float
    did_low: float
    did_high: float
    p_value: float
    n_target: int
    n_control: int
    method: str
    n_resamples: int
    random_state: int


class _SliceOutcomeLater(TypedDict, total=False):
    """The keys of :class:`SliceOutcomeDict` that outcomes stored before them lack."""

    n_boot: int


class SliceOutcomeDict(_SliceOutcomeLater):
    """One target or control slice of an outcome: ``role`` (``target``/``control``),
    ``slice``, ``n_items`` paired, ``base_score``/``cand_score`` (0..1), ``diff`` with
    ``diff_low``/``diff_high``, ``p_value``, ``p_adjusted`` (Benjamini-Hochberg),
    ``significant``, ``tested``, ``test``, ``warning``, ``pass_at_k`` (multi-sample runs
    compared on accuracy, else None), ``did`` (target slices against the pooled controls,
    else None) and ``n_boot`` (the test's bootstrap resamples, 0 for McNemar; absent from
    outcomes stored before it was recorded)."""

    role: str
    slice: dict[str, str]
    n_items: int
    base_score: float
    cand_score: float
    diff: float
    diff_low: float
    diff_high: float
    p_value: float
    p_adjusted: float
    significant: bool
    tested: bool
    test: str
    warning: str | None
    pass_at_k: dict[str, Any] | None
    did: DidDict | None


class _OutcomeLater(TypedDict, total=False):
    """The keys of :class:`OutcomeDict` that outcomes stored before them lack."""

    uncontrolled: dict[str, Any] | None
    members: dict[str, Any]
    """The target/control items the outcome was measured on (``frozen_membership``)."""
    incomplete: list[str]
    """Set when a run compared is incomplete (``Workspace.incomplete_notes``, walk 18 F1)."""


class OutcomeDict(_OutcomeLater):
    """An intervention's measured outcome (:meth:`Workspace.intervention_outcome`, and
    ``Intervention.outcome`` once evaluated): ``verdict`` (the outcome name under its stored
    key: ``confirmed``, ``refuted``, ``harmful``, ``inconclusive``, ``unmeasurable``),
    ``reason``, ``metric``, ``k``, ``tolerance`` (the controls' allowed drop, a proportion),
    ``q``, ``expected_effect``, ``n_tested``, ``rows``, ``warnings``, ``random_state``, the
    pooled ``did``, ``evaluation_changed`` (how the two runs' evaluations differ, or None),
    ``uncontrolled`` (an outcome unmeasurable for want of controls: the paired change over the
    targeted items, labelled uncontrolled; else None; absent from outcomes stored before it)
    and the ``baseline_run``/``result_run`` it compared."""

    verdict: str
    reason: str
    metric: str
    k: int | None
    tolerance: float
    q: float
    expected_effect: float | None
    n_tested: int
    rows: list[SliceOutcomeDict]
    warnings: list[str]
    random_state: int
    did: DidDict | None
    evaluation_changed: str | None
    baseline_run: str
    result_run: str


class _Intervention(InterventionRow):
    plan: dict[str, Any] | None
    outcome: OutcomeDict | None


class InterventionHistoryRow(TypedDict):
    """One audited change of an intervention (oldest first): the ``version`` it produced,
    ``action`` (create, edit, accept, reject, start, link, evaluate), the ``field`` changed
    with its ``old_value``/``new_value`` (as stored text), ``who`` and ``at``."""

    version: int
    action: str
    field: str | None
    old_value: str | None
    new_value: str | None
    who: str
    at: str


class Intervention(_Intervention, total=False):
    """One intervention record (:meth:`Workspace.intervention`, and what every intervention
    action returns): the :class:`InterventionRow` keys plus ``plan`` (the sampling plan's
    dict, if one was attached) and ``outcome`` (the measured outcome's dict once evaluated).
    :meth:`Workspace.intervention` adds ``history``; :meth:`Workspace.new_intervention`
    adds ``control_choice`` (not stored: why the default controls were chosen) when it
    chose the controls, and ``missing_runs`` (``"result run 'X' was deleted"``, one per
    baseline/result run no longer in the store). Both add ``control_warning`` (not stored)
    while no outcome is recorded, when the control slices hold fewer than 10 items of the
    baseline outside the targets (:meth:`Workspace.control_room`): the outcome could not be
    measured against controls."""

    history: list[InterventionHistoryRow]
    control_choice: list[str]
    missing_runs: list[str]
    control_warning: str


# ---------------------------------------------------------------- named slices, suggestions


class NamedSliceRow(TypedDict):
    """A named slice (:meth:`Workspace.named_slices`, :meth:`Workspace.rename_slice`):
    ``id``, ``name``, ``run_id`` (the run it was found in; items are run-independent),
    ``origin`` (``suggestion:ID``, ``query`` or ``hand``), ``description``, ``note``,
    ``version`` (bumped by every edit; stale edits are conflicts), ``created_by``/``_at``,
    ``updated_by``/``_at`` and ``n_items`` (member items)."""

    id: int
    name: str
    run_id: int | None
    origin: str | None
    description: str | None
    note: str | None
    version: int
    created_by: str
    created_at: str
    updated_by: str
    updated_at: str
    n_items: int


class NamedSlice(NamedSliceRow):
    """One named slice with its members (:meth:`Workspace.named_slice`,
    :meth:`Workspace.accept_suggestion`): the :class:`NamedSliceRow` keys plus ``item_ids``."""

    item_ids: list[int]


class SavedSuggestionRow(TypedDict):
    """A saved discovery suggestion (:meth:`Workspace.suggestions`): ``id``, ``set_id`` (the
    discovery run that saved it), ``cluster``, ``summary`` (the suggestion as discovery
    described it: size, error rate and interval, terms, failure modes, labels,
    representatives...; see ``DiscoveryResult``), ``run_id``, ``created_at`` and
    ``accepted_as`` (the named slice it became, or None)."""

    id: int
    set_id: int
    cluster: int
    summary: dict[str, Any]
    run_id: int
    created_at: str
    accepted_as: str | None


class SavedSuggestion(SavedSuggestionRow):
    """One saved suggestion (:meth:`Workspace.suggestion`): the :class:`SavedSuggestionRow`
    plus ``accepted_slice_id``, ``created_by`` and the member ``item_ids``."""

    accepted_slice_id: int | None
    created_by: str
    item_ids: list[int]


# ---------------------------------------------------------------- export


class ExportFile(TypedDict):
    """One written file of an export: ``file`` name, ``sha256`` and ``bytes``."""

    file: str
    sha256: str
    bytes: int


class ExportTable(TypedDict):
    """One table of an export: ``rows`` written, its ``jsonl`` file (canonical) and its
    ``parquet`` copy (None when not written)."""

    rows: int
    jsonl: ExportFile
    parquet: ExportFile | None


class ParquetState(TypedDict):
    """Whether Parquet copies were ``written``, and the ``reason`` when not (else None)."""

    written: bool
    reason: str | None


class ExportManifest(TypedDict):
    """An export folder's ``manifest.json`` (:meth:`Workspace.export_to`,
    :meth:`Workspace.export_manifest`): ``format`` and ``format_version``,
    ``capslice_version``, ``exported_at``/``exported_by``, ``source`` (the store path),
    ``canonical`` (``jsonl``), ``content_ids`` (where content ids are described),
    ``parquet``, ``tables`` (table -> :class:`ExportTable`), ``notes``, ``schema_version``
    (migrations applied) and ``migrations`` (their names)."""

    format: str
    format_version: int
    capslice_version: str
    exported_at: str
    exported_by: str
    source: str
    canonical: str
    content_ids: str
    parquet: ParquetState
    tables: dict[str, ExportTable]
    notes: list[str]
    schema_version: int
    migrations: list[str]


# ---------------------------------------------------------------- hubs


class HubAdded(TypedDict):
    """:meth:`Workspace.hub_add`: the hub's ``name``, ``url`` as stored (never a password),
    whether a password was ``password_stripped`` from the URL given, and whether it
    ``replaced`` an earlier URL of that name."""

    name: str
    url: str
    password_stripped: bool
    replaced: bool


class HubRemote(TypedDict):
    """A hub of the store (:meth:`Workspace.hubs`): ``name``, ``url`` (no password),
    ``added_at``, ``added_by`` and the times of the ``last_push`` and ``last_pull`` (None:
    never)."""

    name: str
    url: str
    added_at: str
    added_by: str
    last_push: str | None
    last_pull: str | None
