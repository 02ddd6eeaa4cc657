"""Answer extraction corpus: one row per answer form, the right reading beside it.

Each row names the harness or evaluation that writes responses in that form. A row passes
when the lenient cascade's answer (``extract_lenient``) equals the right reading under the
constraint's matcher (``answers_match``) and, where given, the cascade step named in the
sample's reason contains the expected text. A second table checks the matcher on pairs that
must and must not be equal (the guarded math-verify cases among them), and the cases from
``../shared/cases/ext-*`` (copied under ``tests/fixtures/cases``) run through the real ingest
path.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import NamedTuple

import pytest

from capslice_tui.ingest.scoring import answers_match, extract_lenient, extract_lenient_step, score
from capslice_tui.workspace import Workspace

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "cases"


class Row(NamedTuple):
    source: str  # the harness / evaluation whose responses look like this
    constraint: str
    response: str
    reading: str | None  # the right reading; None = no answer can be read
    step: str = ""  # expected text in the step name ("" = not checked)


OL, FN, INT, BOX = "option_letter", "final_number", "integer", "boxed_expression"

ROWS: list[Row] = [
    # ------------------------------------------------------------ option letters
    Row("BBH CoT 'So the answer is (A).'", OL, "Let's think step by step. ... So the answer is (A).", "(A)", "answer is"),
    Row("BBH CoT answer then a new few-shot block", OL, "So the answer is (C).\n\nQ: Which is next?\nA: So the answer is (B).", "(C)"),
    Row("BBH answer-only '(B)'", OL, "(B)", "(B)", "'(X)'"),
    Row("BBH answer-only lower-case '(d)'", OL, "(d)", "(D)"),
    Row("MMLU-Pro 'the answer is (E)'", OL, "Balancing gives 4 moles. The answer is (E).", "E"),
    Row("MMLU-Pro '(E). Option (A) fails ...'", OL, "The answer is (E). Option (A) fails because it ignores oxygen.", "E"),
    Row("MMLU-Pro 'B. Note that A is ...'", OL, "The answer is B. Note that A is a common distractor.", "B"),
    Row("MMLU-Pro 'C because ...'", OL, "The answer is C because I computed the integral.", "C"),
    Row("MMLU-Pro 'ANSWER IS D. A is incorrect.'", OL, "ANSWER IS D. A is incorrect.", "D", "ANSWER IS"),
    Row("MMLU-Pro ten options, letter J", OL, "Option J lists all of them. The answer is (J).", "J"),
    Row("MMLU-Pro 'the answer is option H'", OL, "Therefore the answer is option H.", "H"),
    Row("simple-evals 'Answer: C' last line", OL, "Kinetic energy is conserved too.\n\nAnswer: C", "C", "'Answer:'"),
    Row("simple-evals two 'Answer:' lines, the last wins", OL, "One might write Answer: A here, but no.\n\nAnswer: C", "C"),
    Row("simple-evals 'Answer: A joule ...' then 'Answer: B'", OL, "Answer: A joule is a unit of energy.\nAnswer: B", "B"),
    Row("simple-evals 'Answer: $C$'", OL, "Answer: $C$", "C"),
    Row("simple-evals 'Answer: **D**'", OL, "The reasoning is done.\nAnswer: **D**", "D"),
    Row("simple-evals '**Answer:** B'", OL, "**Answer:** B", "B"),
    Row("simple-evals '**Answer**: B'", OL, "**Answer**: B", "B"),
    Row("simple-evals 'ANSWER: C'", OL, "ANSWER: C", "C"),
    Row("simple-evals 'answer: b' lower case", OL, "so my answer: b", "B"),
    Row("simple-evals 'Answer: B.'", OL, "Answer: B.", "B"),
    Row("simple-evals 'Answer: B) newton'", OL, "Answer: B) newton", "B"),
    Row("simple-evals 'Answer: \\boxed{A}'", OL, "Answer: $\\boxed{A}$", "A"),
    Row("simple-evals multilingual 'Antwort: C'", OL, "Antwort:\n\nAntwort: C", "C", "'Antwort:'"),
    Row("simple-evals multilingual 'Réponse : B'", OL, "La force se mesure en newtons.\nRéponse : B", "B", "Réponse"),
    Row("simple-evals multilingual 'Respuesta: D'", OL, "Respuesta: D", "D"),
    Row("simple-evals multilingual 'Risposta: A'", OL, "Risposta: A", "A"),
    Row("simple-evals multilingual 'Resposta: C'", OL, "Resposta: C", "C"),
    Row("simple-evals multilingual 'Jawaban: B'", OL, "Jawaban: B", "B"),
    Row("simple-evals multilingual 'Jibu: D'", OL, "Jibu: D", "D"),
    Row("simple-evals multilingual 'Ìdáhùn: A'", OL, "Ìdáhùn: A", "A"),
    Row("simple-evals multilingual Chinese '答案：B'", OL, "功率的单位是瓦特。\n答案：B", "B", "答案"),
    Row("simple-evals multilingual Chinese '答：C'", OL, "答：C", "C"),
    Row("simple-evals multilingual Chinese '答案是 D'", OL, "所以答案是 D。", "D"),
    Row("simple-evals multilingual Japanese '答え: A'", OL, "答え: A", "A"),
    Row("simple-evals multilingual Japanese '解答：C'", OL, "解答：C", "C"),
    Row("simple-evals multilingual Japanese '回答: B'", OL, "回答: B", "B"),
    Row("simple-evals multilingual Japanese full-width '答え：Ｃ'", OL, "答え：Ｃ", "C"),
    Row("simple-evals multilingual Korean '정답: D'", OL, "정답: D", "D"),
    Row("simple-evals multilingual Korean '답변: A'", OL, "답변: A", "A"),
    Row("simple-evals multilingual Korean '답: B'", OL, "답: B", "B"),
    Row("simple-evals multilingual Bengali 'উত্তর: C'", OL, "উত্তর: C", "C"),
    Row("simple-evals multilingual Hindi 'उत्तर: A'", OL, "उत्तर: A", "A"),
    Row("simple-evals multilingual Arabic 'الإجابة: ب' (Arabic letter)", OL, "الإجابة: ب", "B"),
    Row("Russian MMLU 'Ответ: B'", OL, "Ответ: B", "B"),
    Row("German 'Antwort: B' after an English 'Answer: A' draft", OL, "Answer: A?\nAntwort: B", "B"),
    Row("GPQA 'The correct answer is (B)'", OL, "The correct answer is (B).", "B"),
    Row("GPQA bare-letter target 'D' equals '(D)'", OL, "Thus the answer is (D).", "D"),
    Row("open-ended chat 'Therefore, (C) is correct'", OL, "The correct option is (b). Therefore (C)", "C", "'(X)'"),
    Row("chat model last line '**B**'", OL, "After weighing both options, I pick:\n\n**B**", "B", "bare letter"),
    Row("chat model last line 'B.'", OL, "Reasoning...\nB.", "B", "bare letter"),
    Row("chat model '\\boxed{C}' without a statement", OL, "Hence $\\boxed{C}$", "C", "boxed"),
    Row("hedged 'So the answer is (A) or (B).' is no single letter", OL, "So the answer is (A) or (B).", "(A) or (B)", "not one letter"),
    Row("'So the answer is (None of the above).' is not a letter", OL, "So the answer is (None of the above).", "(None of the above)"),
    Row("reasoning model: letter after </think>", OL, "<think>Maybe the answer is A.</think>\nThe answer is C.", "C", "after the reasoning trace"),
    Row("Llama-2 chat: text after [/INST] ignored", OL, "The answer is (B). [/INST] [INST] Next question: the answer is (D)", "B", "[/INST]"),
    Row("ChatML: text after <|im_end|> ignored", OL, "Answer: A<|im_end|>\n<|im_start|>user\nAnswer: D", "A", "<|im_end|>"),
    Row("no letter anywhere", OL, "I am not sure about this one.", None),
    # ------------------------------------------------------------ numbers
    Row("lm-eval gsm8k strict-match '#### N'", FN, "Janet sells 16 - 3 - 4 = 9 eggs.\n9 * 2 = 18\n#### 18", "18", "'####'"),
    Row("lm-eval gsm8k '#### 1,000'", FN, "So she pays 1,000 dollars.\n#### 1,000", "1000"),
    Row("lm-eval gsm8k recited '#### 72' inside <think>, own '#### 18' after", FN, "<think>\nThe examples end with '#### 72', so I finish the same way. 3*6 = 18.\n</think>\nShe has 18 eggs.\n#### 18", "18"),
    Row("lm-eval gsm8k recited '#### 72' then own '#### 8' (no trace tags)", FN, "The worked examples finish with lines such as\n#### 72\nand\n#### 5\nNow: 4 pens at 2 dollars is 8 dollars.\n#### 8", "8", "'####'"),
    Row("lm-eval gsm8k CoT 'The answer is 18.'", FN, "She makes 9 * 2 = 18 dollars. The answer is 18.", "18", "answer is"),
    Row("lm-eval gsm8k flexible-extract last number", FN, "she makes 18 dollars every day", "18", "last number"),
    Row("lm-eval gsm8k answer then a new 'Question:' block", FN, "The answer is 7.\n\nQuestion: How many legs?\nAnswer: The answer is 12.", "7"),
    Row("OpenAI grade-school-math final 'A: N' line", FN, "9 * 2 = <<9*2=18>>18\nA: 18", "18", "'A:'"),
    Row("Minerva 'Final Answer: The final answer is $18$. I hope it is correct.'", FN, "Final Answer: The final answer is $18$. I hope it is correct.", "18"),
    Row("Qwen-Math '\\boxed{18}'", FN, "So the total is $\\boxed{18}$.", "18", "boxed"),
    Row("OpenCompass '\\boxed{9{,}500}'", FN, "19 x 500 = 9,500 dollars.\nThe final answer is $\\boxed{9{,}500}$.", "9500"),
    Row("OpenCompass 'The answer is $9{,}500.'", FN, "The answer is $9{,}500.", "9500"),
    Row("OpenCompass '\\boxed{8,000}'", FN, "The price is given directly.\nThe final answer is \\boxed{8,000}.", "8000"),
    Row("OpenCompass bare '\\boxed{10,000}'", FN, "There are ten thousand people.\n\\boxed{10,000}", "10000"),
    Row("LaTeX thin-space separator '10\\,000'", FN, "The answer is $10\\,000$.", "10000"),
    Row("Unicode thin-space separator '9 500'", FN, "The answer is 9\u2009500.", "9500"),
    Row("no-break-space separator '1 250'", FN, "The answer is 1\u00a0250.", "1250"),
    Row("trailing zeros '29.00' = 29", FN, "Each costs $29.00.\nThe answer is 29.00", "29"),
    Row("currency '$1,234.50'", FN, "The answer is $1,234.50.", "1234.5"),
    Row("escaped currency '\\$42'", FN, "The final answer is \\$42.", "42"),
    Row("euro '€15'", FN, "The answer is €15.", "15"),
    Row("percent '50%'", FN, "The answer is 50%.", "50"),
    Row("LaTeX percent '25\\%'", FN, "The answer is $25\\%$.", "25"),
    Row("units after the number '18 eggs'", FN, "The answer is 18 eggs.", "18"),
    Row("units 'km/h'", FN, "The answer is: 60 km/h", "60"),
    Row("negative '-12'", INT, "Answer: -12.", "-12"),
    Row("unicode minus '−7'", INT, "The answer is −7.", "-7"),
    Row("decimal '0.75'", FN, "So the probability is 0.75.\nThe answer is 0.75", "0.75"),
    Row("equation in the statement 'The answer is 3 * 6 = 18'", FN, "The answer is 3 * 6 = 18.", "18"),
    Row("answer statement then justification with other numbers", FN, "The answer is 56 because 7 * 8 = 56 and not 54.", "56"),
    Row("Llama-2 chat 'The answer is 56. [/INST] ...'", INT, "7 * 8 = 56. The answer is 56. [/INST] [INST] What is 9 * 9? [/INST]", "56", "[/INST]"),
    Row("markup-looking text '[bold]42[/bold]'", INT, "[bold]42[/bold]", "42"),
    Row("image path after the answer", INT, "The answer is 7 [/model/2013/V20%200177200.jpg]", "7"),
    Row("</s> written as text", INT, "The answer is 7.</s>The answer is 9.", "7", "</s>"),
    Row("<|eot_id|> written as text", INT, "So the answer is 12.<|eot_id|>assistant The answer is 30.", "12", "<|eot_id|>"),
    Row("<|endoftext|> written as text", INT, "Answer: 4<|endoftext|>Answer: 5", "4"),
    Row("BBH object_counting 'So the answer is 8.'", INT, "So we have 1 + 2 + 5 = 8 objects. So the answer is 8.", "8"),
    Row("BBH multistep_arithmetic '-41'", INT, "So the answer is -41.", "-41"),
    Row("BBH multistep_arithmetic answer-only '-41'", INT, "-41", "-41"),
    Row("MGSM 'Antwort: 12'", INT, "Sie hat 12 Äpfel.\nAntwort: 12", "12"),
    Row("MGSM 'Respuesta: 30'", INT, "Respuesta: 30", "30"),
    Row("MGSM Chinese '答案：25'", INT, "答案：25", "25"),
    Row("MGSM Japanese '答え：8'", INT, "答え：8", "8"),
    Row("AIME '$\\boxed{561}$'", INT, "Thus the answer is $\\boxed{561}$.", "561"),
    Row("chat '**Final answer:** 42'", INT, "**Final answer:** 42", "42"),
    Row("'#### 18' then a later 'The answer is 20' correction", FN, "#### 18\nWait, I double counted. The answer is 20.", "20", "answer is"),
    Row("no number at all", FN, "I cannot solve this.", None),
    # ------------------------------------------------------------ math expressions
    Row("lm-eval hendrycks_math last '\\boxed{}'", BOX, "So $x = \\boxed{\\frac{1}{2}}$.", "\\frac{1}{2}", "boxed"),
    Row("Minerva 'Final Answer: The final answer is $X$. I hope it is correct.'", BOX, "Final Answer: The final answer is $\\frac{3}{4}$. I hope it is correct.", "\\frac{3}{4}", "answer is"),
    Row("Minerva boxed inside the final-answer line", BOX, "Final Answer: The final answer is $\\boxed{2021}$. I hope it is correct.", "2021"),
    Row("Qwen-Math nested braces", BOX, "\\boxed{\\frac{a}{b^{2}}}", "\\frac{a}{b^{2}}"),
    Row("Qwen-Math two boxes, the last wins", BOX, "First \\boxed{1}, then corrected: \\boxed{2}", "2"),
    Row("'\\fbox{}'", BOX, "Answer \\fbox{7}", "7"),
    Row("'\\dfrac' equals '\\frac'", BOX, "\\boxed{\\dfrac{1}{3}}", "\\frac{1}{3}"),
    Row("'\\frac12' shorthand", BOX, "\\boxed{\\frac12}", "\\frac{1}{2}"),
    Row("decimal equals fraction", BOX, "\\boxed{0.5}", "\\frac{1}{2}"),
    Row("thousands '10,000' equals '10{,}000'", BOX, "\\boxed{10000}", "10{,}000"),
    Row("last '$...$' span without a box", BOX, "so $x = \\frac{3}{4}$ and done", "\\frac{3}{4}", "$...$"),
    Row("'\\(...\\)' span", BOX, "Therefore \\(y = 2\\).", "2"),
    Row("display '\\[...\\]' span", BOX, "We get\n\\[ \\sqrt{2} \\]", "\\sqrt{2}"),
    Row("'The answer is 3.' without math delimiters", BOX, "The answer is 3.", "3"),
    Row("'\\pm' answer", BOX, "\\boxed{\\pm 2}", "2, -2"),
    Row("'a \\pm b' answer", BOX, "\\boxed{1 \\pm \\sqrt{2}}", "1 + \\sqrt{2}, 1 - \\sqrt{2}"),
    Row("several answers in any order", BOX, "\\boxed{82, 19, 46}", "19, 46, \\text{ and } 82"),
    Row("ordered pair", BOX, "\\boxed{(0, 1)}", "D = (0, 1)"),
    Row("interval", BOX, "\\boxed{(-\\infty, 3]}", "(-\\infty, 3]"),
    Row("set in any order", BOX, "\\boxed{\\{3, 1, 2\\}}", "\\{1, 2, 3\\}"),
    Row("time of day", BOX, "\\boxed{12:30}", "12:30"),
    Row("square root", BOX, "\\boxed{\\frac{\\sqrt{2}}{2}}", "\\sqrt{2}/2"),
    Row("power of two, exact", BOX, "\\boxed{\\frac{1}{2^{99}}}", "\\frac{1}{2^{99}}"),
    Row("factorial, exact", BOX, "\\boxed{\\frac{1}{2004!}}", "\\frac{1}{2004!}"),
    Row("'x = 5' equals '5'", BOX, "\\boxed{x = 5}", "5"),
    Row("'\\text{...}' answer inside a box", BOX, "\\boxed{\\text{(C)}}", "\\text{(C)}"),
    Row("answer after </think>", BOX, "<think>try \\boxed{3}</think>The result is \\boxed{4}.", "4", "after the reasoning trace"),
    Row("answer before a new 'Problem:' block", BOX, "So the answer is $\\boxed{6}$.\nProblem: Find x.\nSolution: \\boxed{9}", "6", "Problem:"),
    Row("no math at all", BOX, "I do not know.", None),
    # ------------------------------------------------------------ text: yes/no, true/false, valid/invalid
    Row("BBH navigate 'So the answer is Yes.'", "yes_no", "Take 3 steps. ... So the answer is Yes.", "Yes", "answer is"),
    Row("BBH causal_judgement 'So the answer is No.'", "yes_no", "So the answer is No.", "No"),
    Row("BBH answer-only 'yes'", "yes_no", "  yes ", "yes"),
    Row("chat '**Yes**' at the end", "yes_no", "Well... yes, she does. **Yes**", "Yes", "word"),
    Row("answer statement 'Answer: No, she does not'", "yes_no", "Answer: No, she does not.", "No"),
    Row("BBH boolean_expressions 'So the answer is False.'", "true_false", "not ( True ) = False. So the answer is False.", "False"),
    Row("BBH boolean_expressions answer-only 'True'", "true_false", "True", "True"),
    Row("BBH formal_fallacies 'So the answer is invalid.'", "valid_invalid", "So the answer is invalid.", "invalid"),
    Row("formal_fallacies last word", "valid_invalid", "the argument is invalid", "invalid"),
    Row("yes/no after [/INST]", "yes_no", "The answer is no. [/INST] The answer is yes.", "no"),
    Row("SuperGLUE-style 'Answer: true'", "true_false", "Answer: true", "True"),
    # ------------------------------------------------------------ text: word lists, brackets, free text
    Row("BBH word_sorting 'So the answer is apple banana cherry.'", "word_list", "So the answer is apple banana cherry.", "apple banana cherry"),
    Row("word list quoted and cut at </s>", "word_list", "The answer is: 'apple banana'.</s>junk", "apple banana"),
    Row("BBH dyck_languages 'So the answer is ] ) }.'", "bracket_sequence", "So the answer is ] ) }.", "] ) }"),
    Row("BBH dyck answer-only", "bracket_sequence", "] ) }", "] ) }"),
    Row("BBH movie_recommendation free-text target", "free_text", "So the answer is Monsters, Inc.", "Monsters, Inc"),
    Row("free text last line", "free_text", "Thinking...\nParis", "Paris", "last line"),
    Row("free text 'Answer: Paris'", "free_text", "Answer: Paris", "Paris"),
    Row("free text localized 'Réponse : Paris'", "free_text", "Réponse : Paris", "Paris"),
    Row("free text after <|im_end|>", "free_text", "Answer: Rome<|im_end|>Answer: Paris", "Rome"),
    Row("TriviaQA-style plain answer", "free_text", "just text", "just text"),
    Row("free text quoted 'The answer is: \"Paris\".'", "free_text", 'The answer is: "Paris".', "Paris"),
    Row("free text before <|eot_id|>", "free_text", "Final answer: Paris<|eot_id|>Final answer: Lyon", "Paris", "<|eot_id|>"),
    Row("free text localized Chinese '答案：巴黎'", "free_text", "答案：巴黎", "巴黎"),
    Row("yes/no 'Answer: yes' lower case", "yes_no", "Answer: yes", "Yes"),
    Row("yes/no 'The answer is: **No**'", "yes_no", "The answer is: **No**", "No"),
    Row("yes/no chat reversal, last word wins", "yes_no", "No. On reflection, yes", "yes", "word"),
    Row("yes/no after </think>", "yes_no", "<think>yes? maybe</think>No.", "No", "after the reasoning trace"),
    Row("true/false 'So the answer is True.'", "true_false", "So the answer is True.", "True"),
    Row("true/false 'Answer: FALSE'", "true_false", "Answer: FALSE", "False"),
    Row("true/false '**True**' last line", "true_false", "Evaluating...\n**True**", "True"),
    Row("valid/invalid 'Answer: valid'", "valid_invalid", "Answer: valid", "valid"),
    Row("BBH formal_fallacies 'So the answer is valid.'", "valid_invalid", "So the answer is valid.", "valid"),
    Row("word list 'Answer: apple banana'", "word_list", "Answer: apple banana", "apple banana"),
    Row("word list on the line after 'The answer is:'", "word_list", "The answer is:\n\napple banana cherry", "apple banana cherry"),
    Row("bracket sequence 'Answer: ) ]'", "bracket_sequence", "Answer: ) ]", ") ]"),
    Row("Minerva 'The final answer is 5. I hope it is correct.' (number)", FN, "Final Answer: The final answer is 5. I hope it is correct.", "5"),
    Row("'#### $18' with currency", FN, "She pays $18.\n#### $18", "18"),
    Row("'**Answer: 42**' in bold", INT, "**Answer: 42**", "42"),
    Row("AIME negative boxed '$\\boxed{-3}$'", INT, "So $\\boxed{-3}$.", "-3"),
]  # fmt: skip


@pytest.mark.parametrize("row", ROWS, ids=[f"{i:03d} {r.source}" for i, r in enumerate(ROWS)])
def test_corpus_row(row: Row) -> None:
    found = extract_lenient_step(row.response, row.constraint)
    if row.reading is None:
        assert found.answer is None, found
        return
    assert found.answer is not None, f"nothing read; expected {row.reading!r}"
    assert answers_match(found.answer, row.reading, row.constraint), found
    assert row.step in (found.step or ""), found


def test_corpus_size_and_coverage() -> None:
    counts = Counter(r.constraint for r in ROWS)
    assert len(ROWS) >= 150
    assert counts[OL] >= 40 and counts[FN] + counts[INT] >= 40 and counts[BOX] >= 25
    assert sum(counts[c] for c in ("yes_no", "true_false", "valid_invalid", "word_list",
                                   "bracket_sequence", "free_text")) >= 20  # fmt: skip
    assert len({r.source for r in ROWS}) == len(ROWS), "each row names its own form"


class Pair(NamedTuple):
    why: str
    answer: str
    target: str
    constraint: str
    equal: bool


PAIRS: list[Pair] = [
    Pair("Math-Verify#14: 2^-98 is not 2^-99 (no absolute tolerance)", "\\frac{1}{2^{98}}", "\\frac{1}{2^{99}}", BOX, False),
    Pair("Math-Verify#14: 1/2006! is not 1/2004!", "\\frac{1}{2006!}", "\\frac{1}{2004!}", BOX, False),
    Pair("tiny non-rational values differ", "e^{-100}", "e^{-99}", BOX, False),
    Pair("huge exponents are text, never handed to math-verify", "2^{100000000}", "2^{100000001}", BOX, False),
    Pair("powers too large to evaluate exactly still differ", "\\frac{1}{2^{99999}}", "\\frac{1}{2^{99998}}", BOX, False),
    Pair("'\\pm 2021' is two answers, not 2021", "2021", "\\pm 2021", BOX, False),
    Pair("'\\pm 2021' equals '2021, -2021'", "2021, -2021", "\\pm 2021", BOX, True),
    Pair("1 + 1/e is not 1 - 1/e", "1 + \\frac{1}{\\mathrm{e}}", "1 - \\frac{1}{\\mathrm{e}}", BOX, False),
    Pair("answer lists compare as lists", "n=1, 2, 3", "n=2, 3, 4", BOX, False),
    Pair("answer lists with 'and'", "21, 36, and 82", "19, 46, \\text{ and } 82", BOX, False),
    Pair("answer lists in another order", "82, 46, 19", "19, 46, \\text{ and } 82", BOX, True),
    Pair("tuples compare element by element", "D = (0, 1.5)", "D = (0, 1)", BOX, False),
    Pair("times compare as times", "1:00", "12:00", BOX, False),
    Pair("same time", "12:00", "12:00", BOX, True),
    Pair("open vs half-open interval", "(0, 1)", "(0, 1]", BOX, False),
    Pair("interval vs its reversed bounds", "(1, 0)", "(0, 1)", BOX, False),
    Pair("sets ignore order", "\\{2, 1\\}", "\\{1, 2\\}", BOX, True),
    Pair("a set is not a tuple", "\\{1, 2\\}", "(1, 2)", BOX, False),
    Pair("exact: 2/4 = 1/2", "\\frac{2}{4}", "\\frac{1}{2}", BOX, True),
    Pair("exact: 0.333 is not 1/3", "0.333", "\\frac{1}{3}", BOX, False),
    Pair("exact: 2^{10} = 1024", "2^{10}", "1024", BOX, True),
    Pair("exact: 5! = 120", "5!", "120", BOX, True),
    Pair("symbolic equality via math-verify", "\\sqrt{2}/2", "\\frac{\\sqrt{2}}{2}", BOX, True),
    Pair("symbolic inequality via math-verify", "x+1", "\\frac{1}{3}", BOX, False),
    Pair("thousands in a math target", "10000", "10{,}000", BOX, True),
    Pair("number: 9{,}500 = 9500", "9{,}500", "9500", FN, True),
    Pair("number: 29.00 = 29", "29.00", "29", FN, True),
    Pair("number: $1,000 = 1000", "$1,000", "1000", FN, True),
    Pair("number: 1,2 is not 12", "1,2", "12", FN, False),
    Pair("number: 18.5 is not 18", "18.5", "18", FN, False),
    Pair("number: gsm8k reference '#### 18'", "18", "She sells 9 eggs.\n#### 18", FN, True),
    Pair("letter: bare target 'D' equals '(D)'", "(D)", "D", OL, True),
    Pair("letter: '$B$' equals 'B'", "$B$", "(B)", OL, True),
    Pair("letter: '\\boxed{C}' equals '(C)'", "\\boxed{C}", "(C)", OL, True),
    Pair("letter: hedged '(A) or (B)' is not A", "(A) or (B)", "(A)", OL, False),
    Pair("letter: free-text target", "Monsters,  Inc", "Monsters, Inc", OL, True),
]  # fmt: skip


@pytest.mark.parametrize("pair", PAIRS, ids=[p.why for p in PAIRS])
def test_matcher_pair(pair: Pair) -> None:
    assert answers_match(pair.answer, pair.target, pair.constraint) is pair.equal


def test_strict_still_takes_the_harness_reading() -> None:
    """The strict extraction mirrors the harness: lm-eval strict-match takes the first '####'."""
    recited = "#### 72 is how the examples end.\n3*6 = 18\n#### 18"
    assert score(recited, "18", FN).extracted == "72"
    assert extract_lenient(recited, FN) == "18"


# Hostile 4 KB texts (runs of what the extraction patterns look for) and what the numeric and
# boxed cascades read from them; benchmarks/extraction_adversarial.py prints the CPU time each
# cascade takes on them (the budget is 50 ms; no catastrophic backtracking).
ADVERSARIAL = {
    "answers": ("answer: " * 512, None, None),
    "parens": ("(" * 4096, None, None),
    "commas": ("1," * 2048, None, None),  # a loop to its end: no fallback answer
    "dollars": ("$" * 4096, None, None),
    "boxes": ("\\boxed{" * 585, None, None),
    "hashes": ("#### " * 819, None, None),
    "latex-commas": ("9{,}" * 1024, None, None),
    "long-tail": ("The answer is " + "x" * 4082, None, "x" * 4082),
    "cjk": ("答案：" * 1365, None, None),
}


@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_adversarial_4kb_responses_are_read(name: str) -> None:
    """Every cascade reads a hostile 4 KB text to an answer or to nothing: the number and the
    boxed expression it holds, and never text the response does not contain."""
    response, number, boxed = ADVERSARIAL[name]
    assert extract_lenient(response, FN) == number
    assert extract_lenient(response, BOX) == boxed
    for constraint in (OL, "yes_no", "free_text"):
        found = extract_lenient(response, constraint)
        assert found is None or (found and found in response), constraint


# ---------------------------------------------------------------- the ext-* cases, ingested


def _ingest(tmp_path: Path, rel: str, benchmark: str | None) -> tuple[Workspace, dict]:
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([CASES / rel], run="r", benchmark=benchmark)
    overall = ws.slices("r").to_dict()["overall"]
    return ws, overall


def _modes(ws: Workspace) -> dict[str, dict]:
    rows, more = ws.samples("r", limit=500)
    assert not more
    return {str(r["doc_id"]): r for r in rows}


def test_ext01_latex_thousands(tmp_path: Path) -> None:
    ws, overall = _ingest(tmp_path, "ext-01-latex-thousands/preds.jsonl", "gsm8k")
    assert overall["lenient_score"] == pytest.approx(1.0)  # 5/5
    assert _modes(ws)["0"]["lenient_extracted"] == "9{,}500"


def test_ext02_answer_prefix_repeated(tmp_path: Path) -> None:
    ws, _ = _ingest(tmp_path, "ext-02-answer-prefix-repeated/mmlu_allresults_flat.jsonl", "mmlu")
    rows = _modes(ws)
    assert rows["2"]["lenient_extracted"] == "C"
    assert rows["2"]["failure_mode"] == "extraction_failure"
    # the reason names the cascade step that read the answer
    assert "'C' (last 'Antwort:' statement)" in ws.sample(rows["2"]["id"])["failure_reason"]
    assert rows["3"]["lenient_extracted"] == "D"
    assert rows["3"]["failure_mode"] == "wrong_answer"


def test_ext03_letter_then_text(tmp_path: Path) -> None:
    ws, overall = _ingest(tmp_path, "ext-03-letter-then-text/mmlu_pro_preds.jsonl", "mmlu_pro")
    assert overall["lenient_score"] == pytest.approx(1.0)  # 5/5
    assert [r["lenient_extracted"] for _, r in sorted(_modes(ws).items())][:4] == list("BCDE")


def test_ext04_recited_fewshot_single(tmp_path: Path) -> None:
    ws, overall = _ingest(tmp_path, "ext-04-recited-fewshot/single", None)
    rows = _modes(ws)
    assert overall["lenient_score"] == pytest.approx(1.0)  # 2/2
    assert [rows["0"]["lenient_extracted"], rows["1"]["lenient_extracted"]] == ["18", "8"]
    assert {r["failure_mode"] for r in rows.values()} == {"extraction_failure"}


def test_ext04_recited_fewshot_pair_candidate(tmp_path: Path) -> None:
    ws, _ = _ingest(tmp_path, "ext-04-recited-fewshot/pair_cand", None)
    counts = Counter(r["failure_mode"] for r in _modes(ws).values())
    assert counts["extraction_failure"] == 28
    assert counts["wrong_answer"] == 12


def test_ext05_text_after_inst_is_not_the_answer(tmp_path: Path) -> None:
    ws, overall = _ingest(tmp_path, "ext-05-markup-in-text/llama2chat_arith.jsonl", "arith")
    rows = _modes(ws)
    assert rows["0"]["lenient_extracted"] == "56"
    # the generation ended at '[/INST]': strict and lenient both read the text before it
    first = ws.sample(rows["0"]["id"])
    assert (first["extracted"], first["score"]) == ("56", 1.0)
    assert "chat-template marker '[/INST]' written as text" in first["failure_reason"]
    assert "scored on the text before it" in first["failure_reason"]
    assert overall["lenient_score"] == pytest.approx(1.0)


def test_ext06_mathverify_tiny_values(tmp_path: Path) -> None:
    ws, overall = _ingest(tmp_path, "ext-06-mathverify-tiny-values/math_wrong_boxed.jsonl", "math")
    assert overall["score"] == 0.0  # 0/8
    assert overall["lenient_score"] == 0.0
    assert len(_modes(ws)) == 8
