"""Streamlit AppTest of every page, happy and error paths, with the REAL predictor, atlas and weights.

Assertions are on rendered elements (titles, errors, tables, charts), not just "no exception".
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from mirloc_core import config
from mirloc_core import explore
from mirloc_core.io.submission import example_fasta

TIMEOUT = 120
MIR29B = "UAGCACCAUUUGAAAUCAGUGUU"


def _app(path: str = "app.py") -> AppTest:
    return AppTest.from_file(str(config.REPO_ROOT / path), default_timeout=TIMEOUT)


def _charts(at: AppTest) -> list:
    return [e for e in at.get("plotly_chart")]


def _bars(at: AppTest) -> list:
    """The probability bar charts of the Predict page (one per shown prediction)."""
    return [e for e in at.get("plotly_chart") if str(getattr(e, "key", "")).startswith("bars_")]


def _tracks(at: AppTest) -> list:
    """The attention tracks of the result cards."""
    return [e for e in at.get("plotly_chart") if str(getattr(e, "key", "")).startswith("attention_")]


def _texts(elements) -> str:
    """The elements' text with Markdown escapes removed (user text is backslash-escaped by the app)."""
    return "\n".join(str(e.value) for e in elements).replace("\\", "")


def _frame(at: AppTest, *columns: str) -> pd.DataFrame:
    """The first rendered dataframe that has all ``columns``."""
    for element in at.dataframe:
        frame = element.value
        if all(c in frame.columns for c in columns):
            return frame
    raise AssertionError(f"no dataframe with columns {columns}")


def _predict(at: AppTest, text: str) -> AppTest:
    at.text_area(key="fasta_input").set_value(text)
    return at.button(key="predict").click().run()


def _fasta(n: int) -> str:
    return "".join(f">s{i}\nUAGCUUAUCAGACUGAUGUUGA\n" for i in range(n))


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch):
    for name in ("MIRLOC_WEIGHTS_REPO", "MIRLOC_DATA_REPO", "MIRLOC_WEIGHTS"):
        monkeypatch.delenv(name, raising=False)


# --------------------------------------------------------------------------- Predict


def test_predict_page_initial_state():
    at = _app().run()
    assert not at.exception
    assert at.title[0].value.startswith("mirloc")
    assert at.text_area(key="fasta_input").value == ""
    assert "Load example" in [b.label for b in at.button]
    sidebar = _texts(at.sidebar.markdown)
    assert sidebar.count("**Device:**") == 1 and ("CPU" in sidebar or "GPU" in sidebar)
    assert not at.error


def test_example_predicts_one_chart_per_sequence():
    at = _app().run()
    at.button(key="load_example").click().run()
    assert at.text_area(key="fasta_input").value == example_fasta()
    at.button(key="predict").click().run()
    assert not at.exception and not at.error
    assert len(_bars(at)) == 4
    headings = [m.value for m in at.markdown if m.value.startswith("#### ")]
    assert [h.replace("\\", "") for h in headings] == ["#### hsa-miR-21-5p", "#### hsa-miR-122-5p",
                                                      "#### hsa-miR-29b-3p", "#### hsa-mir-21"]
    table = _frame(at, "id", "call", "p_cytoplasm")
    assert len(table) == 4 and table["p_cytoplasm"].between(0, 1).all()
    assert "Results for 4 sequences" in _texts(at.subheader)
    assert at.get("download_button"), "the CSV download button is missing"
    # the hsa-mir-21 precursor is a network miRNA: its card carries the badge and the network model's answer
    assert "Known network miRNA: hsa-mir-21" in _texts(at.markdown).replace("\\", "")
    # every card says how conserved the sequence is (what the sequence model's seven compartments rest on)
    assert sum("**Conservation:** a 20-nt stretch is shared with" in m.value and "other human miRNA loci" in m.value
               for m in at.markdown) == 4


def test_typing_alone_does_not_run_a_prediction(monkeypatch):
    """The box, the upload and the mode switch form one submission: only Predict sends them (one page run)."""
    from mirloc_core.predict import Predictor

    calls = []
    original = Predictor.predict
    monkeypatch.setattr(Predictor, "predict", lambda self, *a, **k: calls.append(1) or original(self, *a, **k))
    at = _predict(_app().run(), f">first\n{MIR29B}\n")
    assert calls == [1] and len(_bars(at)) == 1
    at.text_area(key="fasta_input").set_value(">second\nUGGAGUGUGACAAUGGUGUUUG\n").run()  # typed, not submitted
    assert calls == [1] and at.session_state["fasta_input"] == f">first\n{MIR29B}\n"
    assert [m.value for m in at.markdown if m.value.startswith("#### ")] == ["#### first"]
    at = _predict(at, ">second\nUGGAGUGUGACAAUGGUGUUUG\n")  # AppTest drops unsent form values on a run
    assert calls == [1, 1] and [m.value for m in at.markdown if m.value.startswith("#### ")] == ["#### second"]


def test_csv_download_has_the_cli_columns():
    from mirloc_core.predict import Predictor
    from mirloc_core.results import CSV_COLUMNS, write_csv

    result = Predictor.load().predict(example_fasta())
    text = write_csv(result)
    assert text.splitlines()[0].split(",") == CSV_COLUMNS


def test_empty_input_is_a_clear_error():
    at = _app().run()
    at = _predict(at, "   ")
    assert not at.exception
    assert "input is empty" in _texts(at.error)
    assert not _charts(at)


def test_eleven_sequences_are_refused_not_truncated():
    at = _predict(_app().run(), _fasta(11))
    errors = _texts(at.error)
    assert "11 records" in errors and "at most 10" in errors
    assert not _charts(at)
    at = _predict(at, _fasta(10))
    assert not at.error and len(_bars(at)) == 10


def test_bad_characters_name_every_bad_record():
    text = ">good\nUAGCUUAUCAGACUGAUGUUGA\n>bad1\nUAGCUUAUCNNACUGAUGUUGA\n>bad2\nUAGC\n"
    at = _predict(_app().run(), text)
    errors = _texts(at.error).replace("\\", "")
    assert "bad1" in errors and "'N'" in errors and "position 10" in errors
    assert "bad2" in errors and "minimum is 15" in errors
    assert "good" not in errors.replace("fix the input", "")
    assert not _charts(at)


def test_file_upload_is_used_instead_of_the_text_box():
    at = _app().run()
    at.text_area(key="fasta_input").set_value(">ignored\nACGUACGUACGUACGUACGU\n")
    at.file_uploader(key="fasta_upload").upload("mine.fasta", b">up1\nUAGCACCAUUUGAAAUCAGUGUU\n>up2\nUGGAGUGUGACAAUGGUGUUUG\n",
                                                "text/plain")
    at.button(key="predict").click().run()
    assert not at.exception and not at.error
    assert "mine.fasta" in _texts(at.caption).replace("\\", "")
    assert list(_frame(at, "id", "call", "p_cytoplasm")["id"]) == ["up1", "up2"]
    assert len(_bars(at)) == 2


def test_uploaded_binary_file_is_refused():
    at = _app().run()
    at.file_uploader(key="fasta_upload").upload("image.fa", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "text/plain")
    at.button(key="predict").click().run()
    assert not at.exception
    assert "not UTF-8 text" in _texts(at.error)
    assert not _charts(at)


def test_hostile_headers_are_escaped():
    text = '><img src=x onerror="window.__pwned=1">\nUAGCUUAUCAGACUGAUGUUGA\n>[click](javascript:alert(1))\nUGGAGUGUGACAAUGGUGUUUG\n'
    at = _predict(_app().run(), text)
    assert not at.exception and not at.error
    headings = [m.value for m in at.markdown if m.value.startswith("#### ")]
    assert len(headings) == 2
    for heading in headings:  # every Markdown/HTML character of the user's id is backslash-escaped
        body = heading[5:]
        for ch in "<>[]()":
            assert ch not in body.replace("\\" + ch, "")
    assert not any(getattr(m.proto, "allow_html", False) for m in at.markdown)


def test_missing_weights_give_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setenv("MIRLOC_WEIGHTS", str(tmp_path / "no-weights"))
    at = _app().run()
    assert not at.exception
    assert "could not be loaded" in _texts(at.error)
    at = _predict(at, example_fasta())
    assert not at.exception and "could not be loaded" in _texts(at.error) and not _charts(at)


def test_corrupt_weights_give_a_clear_message(tmp_path, monkeypatch):
    weights = tmp_path / "weights"
    for part in ("lm", "sequence"):
        shutil.copytree(config.REPO_ROOT / "weights" / part, weights / part)
    victim = next(p for p in sorted((weights / "sequence").iterdir()) if p.suffix == ".safetensors")
    victim.write_bytes(victim.read_bytes()[:-8] + b"corrupt!")
    monkeypatch.setenv("MIRLOC_WEIGHTS", str(weights))
    at = _app().run()
    assert not at.exception
    errors = _texts(at.error).replace("\\", "")
    assert "could not be loaded" in errors and "sha256" in errors
    at = _predict(at, example_fasta())
    assert not at.exception and not _charts(at)


def test_degraded_mode_without_shared_data(tmp_path, monkeypatch):
    monkeypatch.setenv("MIRLOC_DATA", str(tmp_path / "no-data"))
    at = _app().run()
    at.button(key="load_example").click().run()
    assert at.text_area(key="fasta_input").value.count(">") == 4  # the bundled example
    at.button(key="predict").click().run()
    assert not at.exception and not at.error and len(_bars(at)) == 4
    assert "degraded" in _texts(at.sidebar.caption)
    assert "conservation features are off" in _texts(at.info)
    assert not any("**Conservation:**" in m.value for m in at.markdown)
    explorer = _app("app_pages/2_Network_explorer.py").run()
    assert not explorer.exception
    assert "shared network data were not found" in _texts(explorer.warning).replace("\\", "")
    assert "Functional similarity needs" in _texts(explorer.info)
    cases = _app("app_pages/3_Case_studies.py").run()
    assert not cases.exception and "not found" in _texts(cases.warning)


# --------------------------------------------------------------------------- other pages


def test_navigation_reaches_every_page_from_the_router():
    at = _app().run()
    for path in ("app_pages/1_Motifs.py", "app_pages/2_Network_explorer.py", "app_pages/3_Case_studies.py",
                 "app_pages/4_Structure.py", "app_pages/5_About.py"):
        at.switch_page(path).run()
        assert not at.exception, path
        assert at.title, path
        assert _texts(at.sidebar.markdown).count("**Device:**") == 1, path


def test_motifs_page_shows_attention_and_the_agugu_element():
    at = _app("app_pages/1_Motifs.py").run()
    assert not at.exception
    assert "Attention on hsa-miR-29b-3p (23 nt)" in _texts(at.subheader).replace("\\", "")
    assert len(_charts(at)) == 1  # the attention track
    hits = _frame(at, "motif_id", "matched")
    agugu = hits[hits["motif_id"] == "HWANG2007_AGUGUU"]
    assert list(agugu["start"]) == [18] and list(agugu["matched"]) == ["AGUGUU"]
    seqlets = _frame(at, "start", "end", "sequence", "attention")
    assert len(seqlets) >= 1
    at.radio(key="motifs_attention_model").set_value("seven-compartment model").run()
    assert not at.exception and len(_charts(at)) == 1


def test_motifs_page_rejects_a_bad_sequence():
    at = _app("app_pages/1_Motifs.py").run()
    at.selectbox(key="motifs_choice").set_value("Enter a sequence…").run()
    assert "Enter a sequence to analyse" in _texts(at.info)
    at.text_input(key="motifs_text").set_value("ACGUXACGUACGUACGUACGU").run()
    assert not at.exception
    assert "'X'" in _texts(at.error).replace("\\", "")
    assert not _charts(at)


def test_structure_page_folds_and_shows_the_3d_model():
    at = _app("app_pages/4_Structure.py").run()
    assert not at.exception
    code = at.code[0].value.splitlines()
    assert code[0] == MIR29B and len(code[1]) == len(MIR29B) and set(code[1]) <= set("(.)")
    assert "MFE" in _texts(at.subheader)
    assert len(_charts(at)) == 2  # the colour legend shared by 2D and 3D, and the 2D layout
    assert at.get("iframe") or at.get("html") or at.get("component_instance") or "3D view" in _texts(at.markdown)
    at.selectbox(key="structure_choice").set_value("Enter a sequence…").run()
    at.text_input(key="structure_text").set_value("GGGGAAAACCCCUUUUGGGGAAAACCCC").run()
    assert not at.exception
    assert "your sequence · 28 nt" in _texts(at.subheader).replace("\\", "")
    at.text_input(key="structure_text").set_value("ACGU").run()
    assert "minimum is 15" in _texts(at.error)


def test_network_explorer_shows_neighbours_and_compartments():
    at = _app("app_pages/2_Network_explorer.py").run()
    assert not at.exception and not at.error
    assert at.selectbox(key="explorer_name").value == "hsa-mir-21"
    assert "hsa-mir-21" in _texts(at.subheader).replace("\\", "")
    for relation in ("sequence", "function", "embedding"):
        frame = [f for f in (e.value for e in at.dataframe) if "shared_diseases" in f.columns][["sequence", "function", "embedding"].index(relation)]
        assert len(frame) == 8 and "hsa-mir-21" not in set(frame["name"])
        assert frame["similarity"].is_monotonic_decreasing
        assert frame["shared_diseases"].notna().all()
    comps = _frame(at, "compartment", "probability", "known")
    assert len(comps) == 7 and comps["probability"].between(0, 1).all()
    assert set(comps["known"]) <= {"✓", ""}  # hsa-mir-21 is labelled
    assert len(_charts(at)) == 2  # the neighbourhood graph and the compartment bars
    at.selectbox(key="explorer_name").set_value("hsa-let-7a-1").run()
    assert not at.exception and "hsa-let-7a-1" in _texts(at.subheader).replace("\\", "")


def test_case_studies_page_lists_the_35_pairs():
    at = _app("app_pages/3_Case_studies.py").run()
    assert not at.exception and not at.error
    table = _frame(at, "mirna", "network_name", "pubmed_url")
    assert len(table) == 35
    assert (table["network_name"] == "not in network").sum() == 2  # miR-48 and miR-37 are C. elegans miRNAs
    assert table["pubmed_url"].str.startswith("https://pubmed.ncbi.nlm.nih.gov/").sum() == 30
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Pairs"] == "35" and metrics["In the network"] == "33"


def test_about_page_builds_tables_from_the_results():
    at = _app("app_pages/5_About.py").run()
    assert not at.exception
    assert "How to cite" in _texts(at.header)
    weights = _frame(at, "part", "files")
    assert list(weights["part"]) == ["lm", "sequence", "network", "motifs"]
    assert weights.loc[weights["part"] == "sequence", "files"].iloc[0] > 0
    results = sorted(p.name for p in config.results_dir().glob("*.json"))
    expanders = [e.label for e in at.expander if not e.label.startswith("Model card")]
    assert len(expanders) == len(explore.result_tables()) and all(any(r in x for x in expanders) for r in
                                                                      [t.source for t in explore.result_tables()])
    assert set(t.source for t in explore.result_tables()) <= set(results)
    cards = sorted(config.weights_dir().glob("*/model_card.md"))
    assert len([e for e in at.expander if e.label.startswith("Model card")]) == len(cards)


def test_no_page_renders_raw_html():
    sources = [config.REPO_ROOT / "app.py", config.REPO_ROOT / "app_support.py",
               *sorted((config.REPO_ROOT / "app_pages").glob("*.py"))]
    assert len(sources) == 7
    for path in sources:
        text = path.read_text()
        assert "unsafe_allow_html" not in text and "st.html(" not in text, path.name


def test_duplicate_ids_are_renamed_with_a_notice():
    at = _predict(_app().run(), ">a\nUAGCUUAUCAGACUGAUGUUGA\n>a\nUGGAGUGUGACAAUGGUGUUUG\n")
    assert not at.exception and not at.error
    assert list(_frame(at, "id", "call")["id"]) == ["a", "a_2"]
    assert _texts(at.info).count("duplicate id 'a' renamed to 'a_2'") == 1


def test_identical_submissions_are_not_recomputed(monkeypatch):
    import random

    from mirloc_core.predict import Predictor

    calls = []
    original = Predictor.predict

    def counting(self, *args, **kwargs):
        calls.append(len(args[0]))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Predictor, "predict", counting)
    rng = random.Random()  # a sequence no other test submitted, so the first submission is computed
    fasta = ">fresh\n" + "".join(rng.choice("ACGU") for _ in range(40)) + "\n"
    at = _predict(_app().run(), fasta)
    assert not at.exception and calls == [1] and _charts(at)
    at = _predict(at, fasta)  # the same submission again: served from the cache
    assert not at.exception and calls == [1] and _charts(at)
    at.toggle(key="sequence_only").set_value(True)  # the form sends the switch with Predict
    at = at.button(key="predict").click().run()  # another mode is another computation
    assert calls == [1, 1]


def test_loaded_models_are_kept_out_of_the_collectors_full_passes():
    """Streamlit collects garbage after every page run: the loaded models must not be walked each time."""
    import gc

    import app_support as ui

    at = _app().run()
    assert not at.exception
    predictor, error = ui.get_predictor()  # the server-wide cached instance the page run loaded
    assert error is None and gc.get_freeze_count() > 100_000
    assert not any(o is predictor or o is predictor.atlas for o in gc.get_objects())


def test_about_page_leads_with_the_honest_figures():
    from mirloc_core.reports import readme

    at = _app("app_pages/5_About.py").run()
    assert not at.exception
    assert at.header[0].value == "How good is it, honestly"
    text = _texts(at.markdown)
    first_line = readme.result_lines()[0].replace("\\", "")
    assert first_line[:80] in text  # the rendered JSON figures, not typed text
    assert "base rate" in text and "out of domain" in text and "always answering" in text


def test_out_of_domain_input_gets_no_call():
    at = _predict(_app().run(), ">junk\nACACACACACGUGUGUGUGUACACACACAC\n")
    assert not at.exception
    errors = _texts(at.error)
    assert "Not miRNA-like: no prediction" in errors
    assert "Call:" not in _texts(at.markdown)  # no call shown as if it were one
    assert _frame(at, "evidence")["evidence"].tolist() == ["out_of_domain"]


def test_multi_copy_mirna_card_reads_its_exosome_bars_as_annotation():
    """hsa-mir-1-1 shares its sequence with hsa-mir-1-2: its card says that the exosome and microvesicle bars for
    such a copy reflect how copies were annotated; miRNAs without another human locus get no such note."""
    hairpins = (config.data_dir() / "mirbase22" / "hsa_hairpin.fa").read_text().splitlines()
    seq = hairpins[[i for i, line in enumerate(hairpins) if line.startswith(">hsa-mir-1-1 ")][0] + 1]
    at = _predict(_app().run(), f">mir-1-1\n{seq}\n")
    assert not at.exception and "Known network miRNA: hsa-mir-1-1" in _texts(at.markdown)
    assert "annotated apart from their umbrella entry" in _texts(at.caption)
    at = _predict(_app().run(), example_fasta())  # miR-21, miR-122, miR-29b (its two loci are its own): none
    assert "annotated apart from their umbrella entry" not in _texts(at.caption)


def test_every_result_card_has_its_attention_track_and_links():
    at = _predict(_app().run(), example_fasta())
    assert not at.exception and len(_tracks(at)) == len(_bars(at)) == 4
    links = [e for e in at.get("page_link")]
    assert len(links) == 8  # Motifs and Structure, per card
    ids = [line[1:].split()[0] for line in example_fasta().splitlines() if line.startswith(">")]
    assert [(link.proto.page, link.proto.query_string) for link in links] == [
        (page, f"sequence={rid}") for rid in ids for page in ("motifs", "structure")]


def test_about_page_gives_accuracy_per_evidence_level_and_keeps_engineering_apart():
    from mirloc_core.reports import readme

    at = _app("app_pages/5_About.py").run()
    assert not at.exception
    headers = [h.value for h in at.header]
    assert headers.index("How good is it, honestly") < headers.index("Benchmarks") < headers.index("Engineering")
    table = _frame(at, "evidence", "AUC", "study bias AUC")
    assert table["evidence"].tolist() == ["known", "near_known", "novel", "novel (newest miRNAs)", "out_of_domain"]
    expected = readme.accuracy_by_evidence()
    assert table.loc[0, "AUC"] == pytest.approx(expected[0]["AUC"]) and table.loc[0, "AUC"] > expected[0]["study bias AUC"]
    labels = [e.label for e in at.expander]
    assert any(label.startswith("App speed") for label in labels) and any(label.startswith("Concurrent users")
                                                                        for label in labels)


# --------------------------------------------------------------------------- issue 14: Motifs, explorer, case studies, structure


def test_motifs_page_says_first_what_was_recovered_and_aligns_known_logos():
    from mirloc_core.pretrained import load_motif_artifacts

    at = _app("app_pages/1_Motifs.py").run()
    assert not at.exception
    statements = load_motif_artifacts()["report"]["statements"]
    first = at.markdown[0].value + at.markdown[1].value
    assert "What was and was not recovered" in first and statements[0].split(" (")[0] in first.replace("\\", "")
    seqlets = _frame(at, "start", "end", "sequence", "attention")
    assert seqlets["attention"].gt(0.5).all()  # relative to uniform (1 = flat), not raw attention (~0.04)
    captions = _texts(at.caption)
    assert "1 (black line)" in captions and "E-value of an attention motif" in captions
    assert "E-value of a GLAM2 motif" in captions and "TOMTOM p" in captions
    matches = _frame(at, "known motif", "id", "p_value")
    assert len(matches) >= 1 and matches["p_value"].between(0, 1).all()
    images = at.get("image")
    assert images and any("best-matching known motif" in str(getattr(i, "proto", i)) for i in images)


@pytest.mark.parametrize("query, relation", [("hsa-miR-21-5p", "mature hsa-miR-21-5p"),
                                             ("MIMAT0000076", "MIMAT0000076 is mature"),
                                             ("UAGCUUAUCAGACUGAUGUUGA", "identical to mature hsa-miR-21-5p")])
def test_explorer_resolves_mature_names_accessions_and_sequences(query, relation):
    at = _app("app_pages/2_Network_explorer.py").run()
    at.text_input(key="explorer_search").set_value(query).run()
    assert not at.exception and not at.error
    assert "hsa-mir-21" in _texts(at.subheader) and relation in _texts(at.success)
    at.slider(key="explorer_k").set_value(15).run()
    neighbours = _frame(at, "known_labels", "most_above_base", "times_base_rate")
    assert len(neighbours) == 15 and neighbours["times_base_rate"].gt(0).all()
    comps = _frame(at, "compartment", "probability", "base_rate")
    assert len(comps) == 7 and comps["base_rate"].between(0, 1).all()


def test_explorer_search_without_a_match_is_a_clear_error():
    at = _app("app_pages/2_Network_explorer.py").run()
    at.text_input(key="explorer_search").set_value("hsa-miR-99999").run()
    assert not at.exception and "matched no network miRNA" in _texts(at.error)


def test_case_studies_filter_changes_metrics_and_explains_nucleolus():
    at = _app("app_pages/3_Case_studies.py").run()
    assert "carry nucleolus" in _texts(at.info)  # All: the rare compartments get their sentence
    at.segmented_control(key="case_compartment").set_value("Nucleolus").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Pairs"] == "5"
    table = _frame(at, "mirna", "times_base_rate")
    assert len(table) == 5 and set(table["compartment"]) == {"Nucleolus"}
    assert "carry nucleolus" in _texts(at.info) and "base rate" in _texts(at.info)


def test_structure_page_marks_the_mature_and_has_one_legend():
    at = _app("app_pages/4_Structure.py").run()
    assert not at.exception
    assert "hsa-miR-29b-3p at 1–23" in _texts(at.markdown)
    assert "Colour legend (both views)" in _texts(at.markdown)
    keys = [c.key for c in _charts(at)]
    assert "structure_legend" in str(keys) or len(keys) == 2


def test_about_page_shows_a_reliability_plot_from_the_json():
    from mirloc_core.reports import readme

    blocks = readme.calibration_blocks()
    assert blocks and blocks[0][1]["ece_after"] < blocks[0][1]["ece_before"]
    at = _app("app_pages/5_About.py").run()
    assert not at.exception
    assert len([c for c in _charts(at) if str(c.key).startswith("reliability_")]) == len(blocks)
