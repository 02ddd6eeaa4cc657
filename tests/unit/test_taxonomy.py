"""Tests for capslice_tui.taxonomy.evaluation: loading, strict validation, rule semantics, shipped rules."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from taxonomy_text import AXES_YAML, BAD_PATTERN, BAD_PATTERN_ERROR  # noqa: E402

from capslice_tui.taxonomy.evaluation import (  # noqa: E402
    AXES,
    Taxonomy,
    TaxonomyError,
    load_taxonomy,
    parse_taxonomy,
    question_text,
)

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO / ".." / "shared" / "data"

BBH_OUTPUT = {  # answer types of the 27 subtasks, formats.md section 1.5
    "boolean_expressions": "true_false",
    "causal_judgement": "yes_no",
    "date_understanding": "option_letter",
    "disambiguation_qa": "option_letter",
    "dyck_languages": "bracket_sequence",
    "formal_fallacies": "valid_invalid",
    "geometric_shapes": "option_letter",
    "hyperbaton": "option_letter",
    "logical_deduction_five_objects": "option_letter",
    "logical_deduction_seven_objects": "option_letter",
    "logical_deduction_three_objects": "option_letter",
    "movie_recommendation": "option_letter",
    "multistep_arithmetic_two": "integer",
    "navigate": "yes_no",
    "object_counting": "integer",
    "penguins_in_a_table": "option_letter",
    "reasoning_about_colored_objects": "option_letter",
    "ruin_names": "option_letter",
    "salient_translation_error_detection": "option_letter",
    "snarks": "option_letter",
    "sports_understanding": "yes_no",
    "temporal_sequences": "option_letter",
    "tracking_shuffled_objects_five_objects": "option_letter",
    "tracking_shuffled_objects_seven_objects": "option_letter",
    "tracking_shuffled_objects_three_objects": "option_letter",
    "web_of_lies": "yes_no",
    "word_sorting": "word_list",
}
BBH_TARGET = {
    "option_letter": "(A)",
    "true_false": "False",
    "yes_no": "Yes",
    "valid_invalid": "invalid",
    "integer": "7",
    "bracket_sequence": "] ) }",
    "word_list": "apple banana cherry",
}
LEADERBOARD_DROPPED = {"dyck_languages", "word_sorting", "multistep_arithmetic_two"}
MATH_SUBJECTS = {  # lm-eval suffix -> (MATH type, task_type)
    "algebra": ("Algebra", "algebra"),
    "counting_and_prob": ("Counting & Probability", "counting_probability"),
    "geometry": ("Geometry", "geometry"),
    "intermediate_algebra": ("Intermediate Algebra", "intermediate_algebra"),
    "num_theory": ("Number Theory", "number_theory"),
    "prealgebra": ("Prealgebra", "prealgebra"),
    "precalc": ("Precalculus", "precalculus"),
}
MMLU_GROUPS = {
    "stem_knowledge": "abstract_algebra anatomy astronomy college_biology college_chemistry "
    "college_computer_science college_mathematics college_physics computer_security "
    "conceptual_physics electrical_engineering elementary_mathematics high_school_biology "
    "high_school_chemistry high_school_computer_science high_school_mathematics "
    "high_school_physics high_school_statistics machine_learning",
    "humanities_knowledge": "formal_logic high_school_european_history high_school_us_history "
    "high_school_world_history international_law jurisprudence logical_fallacies "
    "moral_disputes moral_scenarios philosophy prehistory world_religions",
    "social_science_knowledge": "econometrics high_school_geography "
    "high_school_government_and_politics high_school_macroeconomics "
    "high_school_microeconomics high_school_psychology human_sexuality public_relations "
    "security_studies sociology us_foreign_policy",
    "professional_knowledge": "business_ethics clinical_knowledge college_medicine human_aging "
    "management marketing medical_genetics nutrition professional_accounting professional_law "
    "professional_medicine professional_psychology virology",
    "world_knowledge": "global_facts miscellaneous",
}
# Problem wordings (the demo's templates use these phrasings) -> expected solving_operation.
WORDING = {
    "What is the remainder when $7^{2024}$ is divided by 5?": "modular_arithmetic",
    "In how many ways can 6 distinct books be placed on a shelf?": "combinatorics",
    "What day of the week will it be 40 days after a Tuesday?": "temporal_arithmetic",
    "Solve for $x$: $3x + 7 = 25$.": "equation_solving",
    "Two fair dice are rolled. What is the probability that the sum is 7?": "probability",
    "Find the area of a triangle with sides 13, 14 and 15.": "geometric_computation",
    "Simplify $\\frac{x^2-1}{x-1}$.": "symbolic_manipulation",
    "How many positive integers $n$ less than 50 are there such that $n^2+n$ is a "
    "perfect square or $n$ is prime?": "casework",
    "Let $f(x) = 3x + 2$ be a function. Find $f^{-1}(11)$.": "function_analysis",
    "How many positive divisors does $360$ have?": "counting",
    "What is the greatest common divisor of $84$ and $126$?": "multi_step_arithmetic",
    "How many positive integers less than $100$ are divisible by either $3$ or $7$? Consider "
    "each case.": "casework",
}


@pytest.fixture(scope="module")
def shipped() -> Taxonomy:
    return load_taxonomy()


GSM8K_ITEMS = [  # (question, reference solution): each hits one of the item-level GSM8K rules
    ("Tom has 3 apples and buys 4 more. How many?", "3+4=<<3+4=7>>7\n#### 7"),
    (
        "A box holds 6 rows of 5 eggs. How many eggs in 4 boxes?",
        "6*5=<<6*5=30>>30\n30*4=<<30*4=120>>120\n30/2=<<30/2=15>>15\n#### 120",
    ),
    (
        "Sam reads a book over a week.",
        "".join(f"s{i}: {i}+1-1=<<{i}+1-1={i}>>{i}\n" for i in range(6)) + "#### 5",
    ),
    ("Ann walks to school.", "She walks.\nThen she runs.\nA: 3"),
    ("Ann walks to the park.", "a\nb\nc\nd\nA: 3"),
    ("Ann walks to the shop.", "a\nb\nc\nd\ne\nf\n#### 3"),
    ("Half of the 10 cats are black. How many are black?", "10/2=<<10/2=5>>5\n#### 5"),
    ("A rectangle is 3 m by 4 m. What is its area?", "3*4=<<3*4=12>>12\n#### 12"),
    ("A car drives 60 miles per hour for 2 hours.", "60*2=<<60*2=120>>120\n#### 120"),
    ("A $20 shirt is 25% off.", "20*0.25=<<20*0.25=5>>5\n20-5=<<20-5=15>>15\n#### 15"),
    ("What is the probability of heads?", "1/2=<<1/2=0.5>>0.5\n#### 0.5"),
    ("How many ways can 3 kids line up?", "3*2*1=<<3*2*1=6>>6\n#### 6"),
    ("What is the remainder when 17 is divided by 5?", "17-15=<<17-15=2>>2\n#### 2"),
]
AIME_ITEMS = [
    "Find the sum of all integer bases $b>9$ for which $17_b$ is a divisor of $97_b.$",
    "In $\\triangle ABC$ the area is 288. Find the area of heptagon $AFNBCEM$.",
    "Sixteen chairs are arranged in a row. Find the number of subsets of the chairs.",
    "Find the sum of the roots of the polynomial $x^3-3x+1$.",
]


def representative_items() -> list[dict]:
    """Synthetic items covering every harness name variant the shipped rules are meant for."""
    items: list[dict] = []
    for sub, out in BBH_OUTPUT.items():
        names = [
            f"bbh_cot_fewshot_{sub}",
            f"bbh_cot_zeroshot_{sub}",
            f"bbh_fewshot_{sub}",
            f"bbh_zeroshot_{sub}",
            sub,
            f"bbh-{sub}",
        ]
        if sub not in LEADERBOARD_DROPPED:
            names.append(f"leaderboard_bbh_{sub}")
        for name in names:
            items.append({"benchmark": "bbh", "task": name, "target": BBH_TARGET[out]})
    items.append({"task": "bbh_cot_fewshot_movie_recommendation", "target": "Monsters, Inc"})
    for name in ["gsm8k", "gsm8k_cot", "gsm8k_cot_zeroshot", "gsm8k_cot_self_consistency"]:
        items.append({"task": name, "doc": {"question": "Q?", "answer": "x #### 18"}})
    for question, solution in GSM8K_ITEMS:
        items.append({"task": "gsm8k", "doc": {"question": question, "answer": solution}})
    for problem in AIME_ITEMS:
        items.append({"task": "aime25", "doc": {"problem": problem}, "target": "70"})
    for folder in ["algebra", "counting_and_probability", "geometry", "intermediate_algebra",
                   "number_theory", "prealgebra", "precalculus"]:  # fmt: skip
        uid = f"test/{folder}/1.json"
        items.append({"task": "math500", "doc": {"problem": "Compute $1+1$.", "unique_id": uid}})
    for suffix, (mtype, _) in MATH_SUBJECTS.items():
        items.append({"task": f"minerva_math_{suffix}", "doc": {"problem": "Compute $1+1$."}})
        for level in range(1, 6):
            items.append(
                {
                    "task": f"hendrycks_math_{suffix}",
                    "doc": {"problem": "Compute $1+1$.", "type": mtype, "level": f"Level {level}"},
                }
            )
            items.append(
                {
                    "task": "minerva_math500",
                    "doc": {"problem": "Compute $1+1$.", "subject": mtype, "level": level},
                }
            )
    for problem in WORDING:
        items.append({"task": "minerva_math_prealgebra", "doc": {"problem": problem}})
        items.append({"task": "aime25", "doc": {"problem": problem}, "target": "70"})
    for group, subjects in MMLU_GROUPS.items():
        for subject in subjects.split():
            for name in (f"mmlu_{subject}", f"mmlu_flan_cot_fewshot_{subject}"):
                items.append({"task": name, "target": "(B)", "_group": group})
            items.append({"task": "mmlu", "doc": {"subject": subject}, "target": "B"})
    for target in ["(C)", "True", "No", "valid", "42", "Janet ... #### 18", "\\boxed{3}", ")]"]:
        items.append({"task": "custom_task", "target": target})
    items.append({"task": "custom_task", "target": "some words"})
    items.append({"task": "leaderboard_ifeval", "target": "0"})
    items.append({"task": "my_if", "doc": {"instruction_id_list": ["x"]}, "target": "0"})
    return items


# --------------------------------------------------------------------------- shipped file


def test_shipped_axes_are_the_four_with_the_shared_values(shipped: Taxonomy) -> None:
    assert tuple(shipped.axes) == AXES
    assert len(shipped.axes["output_constraint"]) == 10
    assert "option_letter" in shipped.axes["output_constraint"]
    assert shipped.axes["task_type"]["knowledge_mcq"].startswith("Multiple-choice")
    assert len(shipped.rules) == len({r.id for r in shipped.rules}) == 103


def test_every_shipped_rule_matches_a_representative_item(shipped: Taxonomy) -> None:
    errors = shipped.check_rules_match(representative_items())
    assert [str(e) for e in errors] == []


def test_representative_benchmark_items_get_all_four_axes(shipped: Taxonomy) -> None:
    for item in representative_items():
        if item["task"] in ("custom_task", "leaderboard_ifeval", "my_if"):
            continue  # target-shape fallbacks only; IFEval has no output constraint
        labels = shipped.assign(
            item.get("benchmark"), item["task"], item.get("doc"), target=item.get("target")
        )
        assert set(labels) == set(AXES), item


@pytest.mark.parametrize("sub", sorted(BBH_OUTPUT))
@pytest.mark.parametrize(
    "template",
    [
        "bbh_cot_fewshot_{}",
        "bbh_cot_zeroshot_{}",
        "bbh_fewshot_{}",
        "bbh_zeroshot_{}",
        "leaderboard_bbh_{}",
        "{}",
        "bbh-{}",
    ],
)
def test_bbh_output_constraint_per_subtask(shipped: Taxonomy, sub: str, template: str) -> None:
    labels = shipped.assign("bbh", template.format(sub), target=None)
    assert labels["output_constraint"][0] == BBH_OUTPUT[sub]
    assert set(labels) == set(AXES)


def test_bbh_date_understanding_labels(shipped: Taxonomy) -> None:
    labels = shipped.assign(None, "bbh_cot_fewshot_date_understanding", target="(B)")
    assert labels == {
        "background_condition": ("commonsense", "bbh-date-understanding"),
        "task_type": ("temporal_reasoning", "bbh-date-understanding"),
        "solving_operation": ("temporal_arithmetic", "bbh-date-understanding"),
        "output_constraint": ("option_letter", "bbh-date-understanding"),
    }


def test_bbh_free_text_target_quirk_overrides_option_letter(shipped: Taxonomy) -> None:
    quirk = shipped.assign(None, "bbh_cot_fewshot_movie_recommendation", target="Monsters, Inc")
    assert quirk["output_constraint"] == ("free_text", "bbh-option-task-free-text-target")
    normal = shipped.assign(None, "bbh_cot_fewshot_movie_recommendation", target="(C)")
    assert normal["output_constraint"] == ("option_letter", "bbh-movie-recommendation")


def test_task_names_do_not_leak_across_similar_subtasks(shipped: Taxonomy) -> None:
    assert shipped.assign(None, "bbh_cot_fewshot_navigate")["task_type"][0] == "spatial_visual"
    assert shipped.assign(None, "minerva_math_algebra")["task_type"][0] == "algebra"
    assert shipped.assign(None, "minerva_math_prealgebra")["task_type"][0] == "prealgebra"
    assert (
        shipped.assign(None, "minerva_math_intermediate_algebra")["task_type"][0]
        == "intermediate_algebra"
    )
    assert shipped.assign(None, "some_other_task") == {}


def test_gsm8k_labels(shipped: Taxonomy) -> None:
    for task in ["gsm8k", "gsm8k_cot_llama"]:
        labels = shipped.assign("gsm8k", task, {"question": "How many?"}, target="... #### 5")
        assert {a: v for a, (v, _) in labels.items()} == {
            "background_condition": "school_math",
            "task_type": "word_problem",
            "solving_operation": "multi_step_arithmetic",
            "output_constraint": "final_number",
        }


@pytest.mark.parametrize("suffix", sorted(MATH_SUBJECTS))
@pytest.mark.parametrize("level", [1, 2, 3, 4, 5])
def test_math_subject_and_level(shipped: Taxonomy, suffix: str, level: int) -> None:
    mtype, task_type = MATH_SUBJECTS[suffix]
    background = "school_math" if level <= 3 else "competition_math"
    for task, doc in [
        (
            f"hendrycks_math_{suffix}",
            {"problem": "Compute.", "type": mtype, "level": f"Level {level}"},
        ),
        ("minerva_math500", {"problem": "Compute.", "subject": mtype, "level": level}),
        ("hendrycks_math500", {"problem": "Compute.", "subject": mtype, "level": float(level)}),
    ]:
        labels = shipped.assign("math", task, doc)
        assert labels["task_type"][0] == task_type
        assert labels["background_condition"] == (
            background,
            "math-level-1-3" if level <= 3 else "math-level-4-5",
        )
        assert labels["output_constraint"][0] == "boxed_expression"
        assert not labels["solving_operation"][1].startswith("op-")  # subject default


def test_math_level_unknown_defaults_to_competition_math(shipped: Taxonomy) -> None:
    labels = shipped.assign(None, "minerva_math_num_theory", {"problem": "Compute 2+2."})
    assert labels["background_condition"] == ("competition_math", "math-defaults")
    assert labels["solving_operation"] == ("modular_arithmetic", "math-number-theory")


@pytest.mark.parametrize("problem", sorted(WORDING))
@pytest.mark.parametrize("task", ["minerva_math_algebra", "minerva_math_num_theory", "aime"])
def test_math_wording_regexes(shipped: Taxonomy, problem: str, task: str) -> None:
    labels = shipped.assign(None, task, {"problem": problem})
    assert labels["solving_operation"][0] == WORDING[problem]
    assert labels["solving_operation"][1].startswith("op-")


def test_aime_answer_idioms_are_not_the_operation(shipped: Taxonomy) -> None:
    problem = (
        "Let $N$ be the number of subsets of 16 chairs that could be selected. "
        "Find the remainder when $N$ is divided by $1000$."
    )
    labels = shipped.assign(None, "aime25", {"problem": problem}, target="907")
    assert labels["solving_operation"][0] != "modular_arithmetic"
    surd = "The area is $a\\sqrt{b}$ where $b$ is not divisible by the square of any prime."
    assert shipped.assign(None, "aime", {"problem": surd})["solving_operation"][0] != (
        "modular_arithmetic"
    )


EXPLICIT_DIVIDENDS = [
    "Find the remainder when $5^{329}+14^{1864}$ is divided by $1000$.",  # the demo's AIME items
    "Find the remainder when $2^{2025}$ is divided by 1000.",
    "What is the remainder when $3 \\cdot 7^{10} + 1$ is divided by $1000$?",
    "Find the remainder when $\\binom{300}{150}$ is divided by $1000$.",
    "Find the remainder when $1 + 2 + \\cdots + 2025$ is divided by $1000$.",
    "Find the remainder when $10!$ is divided by $1000$.",
    "Find the remainder when 2004 is divided by 1000.",
]
NAMED_DIVIDENDS = [  # the answer idiom: a quantity named by a letter (real AIME 2025 wording)
    "Let $N$ be the answer. Find the remainder when $N$ is divided by $1000$.",
    "It can be written as $\\frac{m}{n}$. Find the remainder when $m+n$ is divided by $1000$.",
    "Find the remainder when $a_{2025}$ is divided by $1000$.",
    "Find the remainder when the sum of the terms is divided by $1000$.",
]


@pytest.mark.parametrize("problem", EXPLICIT_DIVIDENDS)
def test_the_remainder_of_an_explicit_expression_mod_1000_is_modular_arithmetic(
    shipped: Taxonomy, problem: str
) -> None:
    """The 1000 answer idiom is an answer form only when the dividend is a named quantity; the
    remainder of numbers (powers, products, sums) is the problem: number theory x modular
    arithmetic on AIME, modular arithmetic on MATH (was competition_problem x
    multi_step_arithmetic)."""
    aime = shipped.assign(None, "aime", {"problem": problem}, target="1")
    assert aime["task_type"] == ("number_theory", "aime-kw-number-theory")
    assert aime["solving_operation"] == ("modular_arithmetic", "op-modular-arithmetic")
    math = shipped.assign(None, "math500", {"problem": problem}, target="1")
    assert math["solving_operation"][0] == "modular_arithmetic"


@pytest.mark.parametrize("problem", NAMED_DIVIDENDS)
def test_the_remainder_of_a_named_quantity_mod_1000_stays_an_answer_form(
    shipped: Taxonomy, problem: str
) -> None:
    aime = shipped.assign(None, "aime", {"problem": problem}, target="1")
    assert aime["task_type"] == ("competition_problem", "aime")
    assert aime["solving_operation"] == ("multi_step_arithmetic", "aime")


def test_aime_labels(shipped: Taxonomy) -> None:
    labels = shipped.assign("aime", "aime24", {"problem": "Find $x$."}, target="204")
    assert labels == {
        "background_condition": ("competition_math", "aime"),
        "task_type": ("competition_problem", "aime"),
        "solving_operation": ("multi_step_arithmetic", "aime"),
        "output_constraint": ("integer", "aime"),
    }


def test_mmlu_57_subjects(shipped: Taxonomy) -> None:
    subjects = [(g, s) for g, names in MMLU_GROUPS.items() for s in names.split()]
    assert len(subjects) == len({s for _, s in subjects}) == 57
    for group, subject in subjects:
        for task in (f"mmlu_{subject}", f"mmlu_flan_cot_fewshot_{subject}", f"mmlu:{subject}"):
            labels = shipped.assign("mmlu", task, target="(A)")
            assert labels["background_condition"][0] == group, task
            assert labels["task_type"][0] == "knowledge_mcq"
            assert labels["solving_operation"][0] == "knowledge_recall"
            assert labels["output_constraint"][0] == "option_letter"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("(C)", "option_letter"),
        ("False", "true_false"),
        ("yes", "yes_no"),
        ("invalid", "valid_invalid"),
        ("-12", "integer"),
        ("step one.\n#### 1,234", "final_number"),
        ("$\\boxed{\\frac{1}{2}}$", "boxed_expression"),
        ("] } )", "bracket_sequence"),
        ("Monsters, Inc", "free_text"),
    ],
)
def test_generic_target_fallbacks(shipped: Taxonomy, target: str, expected: str) -> None:
    assert shipped.output_constraint_for(None, "my_private_eval", target=target) == expected


def test_output_constraint_for_none_without_rules(shipped: Taxonomy) -> None:
    assert shipped.output_constraint_for(None, "my_private_eval") is None
    assert shipped.output_constraint_for("bbh", "bbh_fewshot_word_sorting") == "word_list"


# --------------------------------------------------------------------------- semantics


def tax(rules: str) -> Taxonomy:
    return parse_taxonomy(AXES_YAML + "rules:\n" + rules, "t.yaml")


def test_higher_priority_wins_regardless_of_order() -> None:
    t = tax(
        """\
  - {id: high, priority: 5, match: {task: "x*"}, set: {task_type: algebra}}
  - {id: low, match: {task: "x"}, set: {task_type: geometry, output_constraint: integer}}
"""
    )
    assert t.assign(None, "x") == {
        "task_type": ("algebra", "high"),
        "output_constraint": ("integer", "low"),
    }


def test_equal_priority_later_rule_wins() -> None:
    t = tax(
        """\
  - {id: first, match: {task: "x"}, set: {task_type: algebra}}
  - {id: second, match: {task: "x"}, set: {task_type: geometry}}
"""
    )
    assert t.assign(None, "x")["task_type"] == ("geometry", "second")
    # More conditions do not make a rule win: order alone breaks the tie.
    t2 = tax(
        """\
  - {id: specific, match: {task: "x", target: "1", doc: {a: 1}}, set: {task_type: algebra}}
  - {id: broad, match: {task: "*"}, set: {task_type: geometry}}
"""
    )
    assert t2.assign(None, "x", {"a": 1}, target="1")["task_type"] == ("geometry", "broad")


def test_all_conditions_must_hold_and_doc_values_compare_as_strings() -> None:
    t = tax(
        """\
  - id: r
    match:
      benchmark: ["math", "aime*"]
      task: "t_*"
      doc: {level: [4, "Level 4"], kind: x}
      prompt: '(?i)dice'
      target: '^\\d+$'
    set: {solving_operation: probability}
"""
    )
    good = {"level": 4, "kind": "x", "problem": "Two DICE are rolled."}
    assert t.assign("math", "t_1", good, target="7") == {"solving_operation": ("probability", "r")}
    assert t.assign("aime25", "t_1", dict(good, level="Level 4"), target="7")
    assert t.assign("aime25", "t_1", dict(good, level=4.0), target="7")
    assert t.assign(None, "t_1", good, target="7") == {}  # benchmark condition needs a benchmark
    assert t.assign("gsm8k", "t_1", good, target="7") == {}
    assert t.assign("math", "u_1", good, target="7") == {}
    assert t.assign("math", "t_1", dict(good, level=3), target="7") == {}
    assert t.assign("math", "t_1", {"level": 4, "problem": "dice"}, target="7") == {}  # no kind
    assert t.assign("math", "t_1", dict(good, problem="coins"), target="7") == {}
    assert t.assign("math", "t_1", good, target="seven") == {}
    assert t.assign("math", "t_1", good, target=None) == {}


def test_doc_list_of_mappings_means_any() -> None:
    t = tax(
        """\
  - {id: r, match: {doc: [{subject: Algebra}, {type: Algebra}]}, set: {task_type: algebra}}
"""
    )
    assert t.assign(None, "x", {"subject": "Algebra"})["task_type"] == ("algebra", "r")
    assert t.assign(None, "x", {"type": "Algebra"})["task_type"] == ("algebra", "r")
    assert t.assign(None, "x", {"type": "Geometry"}) == {}
    assert t.assign(None, "x", None) == {}


def test_prompt_regex_searches_question_text_not_fewshot_prompt() -> None:
    t = tax(
        """\
  - {id: dice, match: {prompt: dice}, set: {solving_operation: probability}}
"""
    )
    fewshot = "Problem:\nTwo dice are rolled...\nSolution: 1/6\n\nProblem:\nCount the coins.\n"
    assert question_text(None, None, fewshot) == "Count the coins.\n"
    assert t.assign(None, "x", prompt=fewshot) == {}
    assert t.assign(None, "x", prompt="Roll the dice.")["solving_operation"][1] == "dice"
    # An explicit question, then doc question fields, take precedence over the prompt.
    assert t.assign(None, "x", {"problem": "coins"}, prompt="dice") == {}
    assert t.assign(None, "x", {"problem": "dice"}, prompt="coins")
    assert t.assign(None, "x", {"problem": "dice"}, question="coins") == {}
    assert question_text({"input": "a", "problem": "b"}, None, None) == "a"
    assert question_text(None, None, "Q: what?\nA: Let's think step by step.\n") == (
        "what?\nA: Let's think step by step.\n"
    )


def test_assign_many_equals_assign_and_accepts_objects(shipped: Taxonomy) -> None:
    class Rec:
        def __init__(self, task: str, doc: dict | None, target: str | None) -> None:
            self.task, self.doc, self.target = task, doc, target
            self.benchmark = None
            self.prompt = None

    items = representative_items()
    many = shipped.assign_many(items)
    single = [
        shipped.assign(i.get("benchmark"), i["task"], i.get("doc"), None, None, i.get("target"))
        for i in items
    ]
    assert many == single
    objs = [Rec(i["task"], i.get("doc"), i.get("target")) for i in items]
    assert shipped.assign_many(objs) == [
        shipped.assign(None, i["task"], i.get("doc"), target=i.get("target")) for i in items
    ]


def test_check_rules_match_reports_unmatched_rules_with_lines() -> None:
    t = tax(
        """\
  - {id: used, match: {task: "a"}, set: {task_type: algebra}}
  - id: unused
    match: {task: "a", target: "^zzz$"}
    set: {task_type: geometry}
"""
    )
    errors = t.check_rules_match([{"task": "a", "target": "1"}, {"task": "b"}])
    assert [str(e) for e in errors] == ["t.yaml:17: rule 'unused' matches none of the 2 items"]
    assert t.check_rules_match([{"task": "a", "target": "zzz"}]) == []


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("rules", "line", "fragment"),
    [
        (
            "  - {id: a, match: {task: x}, set: {task_type: algebra}, colour: red}\n",
            16,
            "unknown key 'colour' in rule #1",
        ),
        (
            "  - {id: a, match: {task: x, subject: y}, set: {task_type: algebra}}\n",
            16,
            "unknown key 'subject' in rule 'a' match",
        ),
        (
            "  - {id: a, match: {task: x}, set: {difficulty: hard}}\n",
            16,
            "rule 'a': unknown axis 'difficulty' in 'set'",
        ),
        (
            "  - {id: a, match: {task: x}, set: {task_type: calculus}}\n",
            16,
            "rule 'a': unknown value 'calculus' for axis 'task_type'",
        ),
        (
            f"  - id: a\n    match: {{prompt: '{BAD_PATTERN}'}}\n    set: {{task_type: algebra}}\n",
            17,
            f"rule 'a' match.prompt: {BAD_PATTERN_ERROR}",
        ),
        (
            "  - id: a\n    match:\n      target: '[z-a]'\n    set: {task_type: algebra}\n",
            18,
            "rule 'a' match.target: invalid regex",
        ),
        (
            "  - {id: a, match: {task: x}, set: {task_type: algebra}}\n"
            "  - {id: a, match: {task: y}, set: {task_type: geometry}}\n",
            17,
            "duplicate rule id 'a' (first defined at line 16)",
        ),
        ("  - {id: a, match: {task: x}}\n", 16, "rule 'a' has no 'set'"),
        ("  - {id: a, set: {task_type: algebra}}\n", 16, "rule 'a' has no 'match'"),
        ("  - {id: a, match: {}, set: {task_type: algebra}}\n", 16, "at least one condition"),
        (
            "  - {id: a, priority: high, match: {task: x}, set: {task_type: algebra}}\n",
            16,
            "priority must be an integer",
        ),
        ("  - {match: {task: x}, set: {task_type: algebra}}\n", 16, "needs a non-empty text 'id'"),
        (
            "  - id: a\n    match: {task: x}\n    set: {task_type: algebra}\n    set: {task_type: geometry}\n",
            19,
            "duplicate key 'set'",
        ),
        (
            "  - {id: a, match: {doc: {level: {x: 1}}}, set: {task_type: algebra}}\n",
            16,
            "field 'level' needs a scalar value",
        ),
        (
            "  - {id: a, match: {task: [x, 3]}, set: {task_type: algebra}}\n",
            16,
            "globs must be non-empty text",
        ),
    ],
)
def test_rule_errors_name_file_and_line(rules: str, line: int, fragment: str) -> None:
    with pytest.raises(TaxonomyError) as info:
        tax(rules)
    assert info.value.file == "t.yaml"
    assert info.value.line == line, str(info.value)
    assert str(info.value).startswith(f"t.yaml:{line}: ")
    assert fragment in str(info.value)


def test_top_level_and_axis_errors() -> None:
    with pytest.raises(TaxonomyError, match=r"^t.yaml:15: unknown key 'rulez' in the taxonomy"):
        parse_taxonomy(AXES_YAML + "rulez: []\n", "t.yaml")
    with pytest.raises(TaxonomyError, match=r"^t.yaml:1: unsupported version 2"):
        parse_taxonomy(AXES_YAML.replace("version: 1", "version: 2"), "t.yaml")
    extra = AXES_YAML + "  difficulty:\n    description: d\n    values: {hard: h}\n"
    with pytest.raises(TaxonomyError, match=r"^t.yaml:15: unknown axis 'difficulty'"):
        parse_taxonomy(extra, "t.yaml")
    missing = AXES_YAML.split("  output_constraint:")[0]
    with pytest.raises(TaxonomyError, match=r"axis 'output_constraint' is missing"):
        parse_taxonomy(missing, "t.yaml")
    with pytest.raises(TaxonomyError, match=r"^t.yaml:5: axis 'background_condition': value"):
        parse_taxonomy(AXES_YAML.replace("self_contained: a", "self_contained: ''"), "t.yaml")
    with pytest.raises(TaxonomyError, match=r"^t.yaml:\d+: invalid YAML"):
        parse_taxonomy(AXES_YAML + "rules: [\n  - {id: a\n", "t.yaml")
    with pytest.raises(TaxonomyError, match=r"^t.yaml:1: empty taxonomy file"):
        parse_taxonomy("", "t.yaml")


def test_load_taxonomy_from_directory(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="no evaluation.yaml"):
        load_taxonomy(tmp_path)
    (tmp_path / "evaluation.yaml").write_text(
        AXES_YAML + "rules:\n  - {id: a, match: {task: x}, set: {task_type: algebra}}\n"
    )
    (tmp_path / "mapping.yaml").write_text("not: [a taxonomy")  # someone else's file
    t = load_taxonomy(tmp_path)
    assert t.file == str(tmp_path / "evaluation.yaml")
    assert [r.id for r in t.rules] == ["a"]
    (tmp_path / "evaluation.yaml").write_text(AXES_YAML + "rules:\n  - {id: a, set: {}}\n")
    with pytest.raises(TaxonomyError) as info:
        load_taxonomy(tmp_path)
    assert str(info.value).startswith(f"{tmp_path / 'evaluation.yaml'}:16: ")


# --------------------------------------------------------------------------- real data


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared data not found at {path} (needs <repo>/../shared/data)")
    return path


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in _need(path).read_text().splitlines() if line.strip()]


def test_real_bbh_items_all_axes(shipped: Taxonomy) -> None:
    items = []
    for f in sorted(_need(SHARED_DATA / "bbh" / "items").glob("*.json")):
        for ex in json.loads(f.read_text())["examples"]:
            items.append({"task": f"bbh_cot_fewshot_{f.stem}", "doc": ex, "target": ex["target"]})
    assert len(items) == 6511
    labels = shipped.assign_many(items)
    assert all(set(lab) == set(AXES) for lab in labels)
    free = [
        i
        for i, lab in zip(items, labels, strict=True)
        if lab["output_constraint"][0] == "free_text"
    ]
    assert sorted(i["target"] for i in free)[0] == "Monsters, Inc"
    assert len(free) == 3  # movie_recommendation 163, ruin_names 99 and 144
    unmatched = {e.message.split("'")[1] for e in shipped.check_rules_match(items)}
    assert not {u for u in unmatched if u.startswith("bbh-")}


def test_real_math500_items_all_axes(shipped: Taxonomy) -> None:
    rows = _jsonl(SHARED_DATA / "math" / "math500_test.jsonl")
    items = [{"task": "minerva_math500", "doc": r, "target": r["answer"]} for r in rows]
    labels = shipped.assign_many(items)
    assert len(labels) == 500
    assert all(set(lab) == set(AXES) for lab in labels)
    by_level = sum(lab["background_condition"][1].startswith("math-level") for lab in labels)
    assert by_level == 500
    school = sum(lab["background_condition"][0] == "school_math" for lab in labels)
    assert school == 43 + 90 + 105  # levels 1-3, formats.md section 7
    from_regex = sum(lab["solving_operation"][1].startswith("op-") for lab in labels)
    assert 150 < from_regex < 400  # both the wording regexes and the subject defaults are used


def test_real_gsm8k_and_aime_items_all_axes(shipped: Taxonomy) -> None:
    gsm = _jsonl(SHARED_DATA / "gsm8k" / "test.jsonl")
    labels = shipped.assign_many({"task": "gsm8k", "doc": r, "target": r["answer"]} for r in gsm)
    assert len(labels) == 1319 and all(set(lab) == set(AXES) for lab in labels)
    aime = _jsonl(SHARED_DATA / "math" / "aime25_test.jsonl")
    labels = shipped.assign_many({"task": "aime25", "doc": r, "target": r["answer"]} for r in aime)
    assert len(labels) == 30 and all(set(lab) == set(AXES) for lab in labels)
    assert all(lab["output_constraint"][0] == "integer" for lab in labels)
