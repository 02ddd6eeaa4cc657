"""Data taxonomy, catalog and mapping validation: errors name file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from capslice_tui.taxonomy.catalog import load_catalog, parse_catalog, parse_catalog_csv
from capslice_tui.taxonomy.data import load_data_taxonomy
from capslice_tui.taxonomy.evaluation import load_taxonomy
from capslice_tui.taxonomy.mapping import load_mapping, parse_mapping
from capslice_tui.taxonomy.yamlfile import TaxonomyError

TAX = load_data_taxonomy()
EVAL_AXES = load_taxonomy().axes
REPO = Path(__file__).resolve().parents[2]

CELL = ("  - id: a\n    source: CommonCrawl\n    domain: Science & Technology\n    format: Tutorial\n"
        "    quality: 3\n    tokens: 100\n    weight: 1.0\n    path: /d/a\n")  # fmt: skip


def test_default_taxonomy_values():
    assert len(TAX.axes["domain"]) == 24 and len(TAX.axes["format"]) == 24
    assert sorted(TAX.axes["quality"]) == [0, 1, 2, 3, 4, 5]
    assert TAX.canonical("domain", "Science, Math & Technology") == "Science & Technology"
    assert TAX.canonical("source", "Project Gutenberg") == "Gutenberg"
    assert TAX.canonical("quality", "4") == 4 and TAX.canonical("quality", 7) is None


def test_default_mapping_and_demo_catalog_load():
    rules = load_mapping(None, EVAL_AXES, TAX)
    assert {"math-modular-arithmetic", "math-casework"} <= {r.id for r in rules.data_rules}
    assert set(rules.causes) == {
        "eos_loss_masking",
        "stop_sequences",
        "generation_cap",
        "chat_template",
        "extraction_filter",
    }
    demo = REPO / "sample_data" / "catalog.yaml"
    if not demo.is_file():
        pytest.skip("sample_data/catalog.yaml not present")
    cat = load_catalog(demo, TAX)
    nt_mod = {"task_type": "number_theory", "solving_operation": "modular_arithmetic"}
    chosen = {c.id for c in cat.cells for r in rules.rules_for(nt_mod) if r.selects(c)}
    assert "owm_math_tutorial_q4" in chosen and "cc_entertainment_blog_q1" not in chosen


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        (CELL.replace("Tutorial", "Tutorials"), 5, "field 'format': unknown format 'Tutorials'"),
        (CELL.replace("quality: 3", "quality: 9"), 6, "field 'quality'"),
        (CELL.replace("tokens: 100", "tokens: -1"), 7, "field 'tokens'"),
        (CELL.replace("weight: 1.0", "weight: 0.5"), 1, "sum to 0.5"),
        (CELL + "    colour: red\n", 10, "unknown field 'colour'"),
        (CELL.replace("    path: /d/a\n", ""), 2, "missing field 'path'"),
        (CELL + CELL.replace("weight: 1.0", "weight: 0.0"), 10, "duplicate cell id 'a'"),
    ],
)
def test_catalog_errors_name_file_line_field(text, line, needle):
    with pytest.raises(TaxonomyError) as exc:
        parse_catalog("cells:\n" + text, "cat.yaml", TAX)
    assert exc.value.file == "cat.yaml" and exc.value.line == line
    assert needle in str(exc.value)


def test_catalog_csv(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(
        "id,source,domain,format,quality,tokens,weight,path\n"
        "a,CommonCrawl,Health,Knowledge Article,3,10,0.5,/d/a\n"
        "b,CommonCrawl,Helth,Knowledge Article,3,10,0.5,/d/b\n"
    )
    with pytest.raises(TaxonomyError) as exc:
        load_catalog(path, TAX)
    assert exc.value.line == 3 and "did you mean 'Health'" in str(exc.value)
    ok = parse_catalog_csv(path.read_text().replace("Helth", "Health"), "c.csv", TAX)
    assert [c.id for c in ok.cells] == ["a", "b"] and ok.cells[0].quality == 3


RULE = """version: 1
data_rules:
  - id: r1
    when: {solving_operation: modular_arithmetic}
    select: {domain: "Science & Technology", quality: ">=3"}
    rationale: because
"""


@pytest.mark.parametrize(
    ("old", "new", "line", "needle"),
    [
        (
            "modular_arithmetic",
            "modular_arith",
            4,
            "unknown solving_operation value 'modular_arith'",
        ),
        ("solving_operation", "operation", 4, "unknown evaluation axis 'operation'"),
        ('"Science & Technology"', "Science", 5, "unknown domain 'Science'"),
        ('">=3"', '">=6"', 5, "selects no value"),
        ("    rationale: because\n", "", 3, "missing 'rationale'"),
        ("    rationale", "    weight: -1\n    rationale", 6, "'weight' must be a number > 0"),
    ],
)
def test_mapping_errors_name_file_and_line(old, new, line, needle):
    text = RULE.replace(old, new)
    with pytest.raises(TaxonomyError) as exc:
        parse_mapping(text, "map.yaml", EVAL_AXES, TAX)
    assert exc.value.file == "map.yaml" and exc.value.line == line, str(exc.value)
    assert needle in str(exc.value)


def test_non_data_rule_validation():
    text = (
        RULE
        + "causes: {eos_loss_masking: x}\nnon_data_rules:\n  - id: n1\n    when: {failure_mode: slow}\n    causes: [eos_loss_masking]\n    rationale: r\n"
    )
    with pytest.raises(TaxonomyError, match=r"map.yaml:10: .*unknown failure_mode value 'slow'"):
        parse_mapping(text, "map.yaml", EVAL_AXES, TAX)
    text = text.replace("slow", "truncated").replace("[eos_loss_masking]", "[eos_mask]")
    with pytest.raises(TaxonomyError, match=r"map.yaml:11: .*unknown cause 'eos_mask'"):
        parse_mapping(text, "map.yaml", EVAL_AXES, TAX)
