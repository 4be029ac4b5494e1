//! Global search and autocomplete over HTTP: accents, case, French stemming, typos, prefixes,
//! weighting, snippets, filters, scopes, permissions, tenant isolation, the trash, bad and
//! hostile queries, consistency right after a write, and the query plans (indexes used).

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Row;
use std::time::{Duration, Instant};
use uuid::Uuid;

async fn create(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let (status, v) = app.post(path, Some(token), body).await;
    assert_eq!(status, StatusCode::CREATED, "{path}: {v}");
    v
}

async fn org(app: &TestApp, token: &str, body: Value) -> String {
    let mut body = body;
    if body.get("type").is_none() {
        body["type"] = json!("investor");
    }
    create(app, token, "/api/v1/organisations", body).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn person(app: &TestApp, token: &str, body: Value) -> String {
    create(app, token, "/api/v1/people", body).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn get_with(
    app: &TestApp,
    path: &str,
    token: &str,
    params: &[(&str, &str)],
) -> (StatusCode, Value) {
    let res = app
        .req(Method::GET, path, Some(token))
        .query(params)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// `GET /search` that must succeed.
async fn search(app: &TestApp, token: &str, params: &[(&str, &str)]) -> Value {
    let (status, body) = get_with(app, "/api/v1/search", token, params).await;
    assert_eq!(status, StatusCode::OK, "search {params:?}: {body}");
    body
}

/// `GET /search/autocomplete` that must succeed.
async fn suggest(app: &TestApp, token: &str, q: &str) -> Value {
    let (status, body) = get_with(app, "/api/v1/search/autocomplete", token, &[("q", q)]).await;
    assert_eq!(status, StatusCode::OK, "autocomplete {q:?}: {body}");
    assert!(body["items"].as_array().unwrap().len() <= 10, "{body}");
    body
}

fn group<'a>(res: &'a Value, t: &str) -> &'a Value {
    res["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["type"] == t)
        .unwrap_or_else(|| panic!("no {t} group in {res}"))
}

fn group_types(res: &Value) -> Vec<String> {
    res["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["type"].as_str().unwrap().to_owned())
        .collect()
}

/// Ids of one group's items, best first.
fn hits(res: &Value, t: &str) -> Vec<String> {
    group(res, t)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_owned())
        .collect()
}

fn hit<'a>(res: &'a Value, t: &str, id: &str) -> &'a Value {
    group(res, t)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == id)
        .unwrap_or_else(|| panic!("{id} not among the {t} hits of {res}"))
}

fn suggestion_ids(res: &Value) -> Vec<String> {
    res["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

fn total_hits(res: &Value) -> i64 {
    res["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            assert_eq!(
                g["total"].as_i64().unwrap() == 0,
                g["items"].as_array().unwrap().is_empty(),
                "{g}"
            );
            g["total"].as_i64().unwrap()
        })
        .sum()
}

#[tokio::test]
async fn accents_case_and_french_stemming() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let sg = org(
        &app,
        tok,
        json!({"name": "Société Générale Gestion", "city": "Paris",
               "notes": "Banque de détail et de financement"}),
    )
    .await;
    let other = org(
        &app,
        tok,
        json!({"name": "Cabinet Martin", "notes": "Spécialiste de la gestion de patrimoine"}),
    )
    .await;
    let lefevre = person(
        &app,
        tok,
        json!({"first_name": "Élodie", "last_name": "Lefèvre", "email": "elodie@lefevre.fr"}),
    )
    .await;

    // Accents and case do not matter, either way round.
    for q in [
        "societe generale",
        "SOCIÉTÉ GÉNÉRALE",
        "Societe Generale",
        "société",
    ] {
        let res = search(&app, tok, &[("q", q)]).await;
        assert_eq!(hits(&res, "organisation")[0], sg, "{q}: {res}");
    }
    for q in ["elodie lefevre", "ÉLODIE LEFÈVRE", "lefèvre"] {
        let res = search(&app, tok, &[("q", q)]).await;
        assert_eq!(hits(&res, "person"), [lefevre.as_str()], "{q}: {res}");
    }

    // The snippet highlights the matched words in the matched field, as escaped HTML.
    let res = search(&app, tok, &[("q", "societe generale")]).await;
    let h = hit(&res, "organisation", &sg);
    assert_eq!(h["matched_field"], "name");
    assert_eq!(h["title"], "Société Générale Gestion");
    assert_eq!(
        h["snippet"],
        "<mark>Société</mark> <mark>Générale</mark> Gestion"
    );
    assert_eq!(h["type"], "organisation");
    assert!(h["rank"].as_f64().unwrap() > 0.0);
    assert_eq!(res["query"], "societe generale");

    // Stemming: inflected and derived forms find each other.
    let res = search(&app, tok, &[("q", "gestionnaires")]).await;
    let ids = hits(&res, "organisation");
    assert!(ids.contains(&sg) && ids.contains(&other), "{res}");
    let res = search(&app, tok, &[("q", "banques")]).await;
    assert_eq!(hits(&res, "organisation"), [sg.as_str()]);
    let h = hit(&res, "organisation", &sg);
    assert_eq!(h["matched_field"], "notes");
    assert_eq!(
        h["snippet"],
        "<mark>Banque</mark> de détail et de financement"
    );
    let res = search(&app, tok, &[("q", "spécialistes")]).await;
    assert_eq!(hits(&res, "organisation"), [other.as_str()], "{res}");

    // Emails and their parts are searchable (weight B).
    let res = search(&app, tok, &[("q", "lefevre.fr")]).await;
    assert_eq!(hits(&res, "person"), [lefevre.as_str()]);
    let res = search(&app, tok, &[("q", "elodie@lefevre.fr")]).await;
    let h = hit(&res, "person", &lefevre);
    assert_eq!(h["matched_field"], "email");
    assert_eq!(h["snippet"], "<mark>elodie@lefevre.fr</mark>");

    // Web-search syntax: phrases and exclusions, matched exactly.
    let res = search(&app, tok, &[("q", "\"société générale\"")]).await;
    assert_eq!(hits(&res, "organisation"), [sg.as_str()]);
    let res = search(&app, tok, &[("q", "gestion -martin")]).await;
    assert_eq!(hits(&res, "organisation"), [sg.as_str()]);
    let res = search(&app, tok, &[("q", "martin or lefevre")]).await;
    assert_eq!(hits(&res, "organisation"), [other.as_str()]);
    assert_eq!(hits(&res, "person"), [lefevre.as_str()]);
}

#[tokio::test]
async fn typos_and_prefixes() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let dupont = person(
        &app,
        tok,
        json!({"first_name": "Jean", "last_name": "Dupont"}),
    )
    .await;
    let durand = person(
        &app,
        tok,
        json!({"first_name": "Marie", "last_name": "Durand"}),
    )
    .await;
    let sg = org(&app, tok, json!({"name": "Société Générale"})).await;
    let lefebvre = org(&app, tok, json!({"name": "Lefebvre & Associés"})).await;

    // Search: a name one or two edits away is still found, after exact matches.
    let res = search(&app, tok, &[("q", "Dupond")]).await;
    assert_eq!(hits(&res, "person"), [dupont.as_str()], "{res}");
    let h = hit(&res, "person", &dupont);
    assert_eq!(h["matched_field"], "name");
    assert_eq!(h["snippet"], "Jean Dupont");
    let res = search(&app, tok, &[("q", "Dupomd")]).await;
    assert_eq!(hits(&res, "person"), [dupont.as_str()], "two edits: {res}");
    let res = search(&app, tok, &[("q", "Lefevre")]).await;
    assert_eq!(hits(&res, "organisation"), [lefebvre.as_str()], "{res}");
    let res = search(&app, tok, &[("q", "societe generalle")]).await;
    assert_eq!(hits(&res, "organisation"), [sg.as_str()], "{res}");
    // Exact matches come before typo-tolerant ones.
    let dupond = person(&app, tok, json!({"last_name": "Dupond"})).await;
    let res = search(&app, tok, &[("q", "Dupond")]).await;
    assert_eq!(hits(&res, "person")[0], dupond, "{res}");

    // Autocomplete: prefixes from one letter on, word prefixes inside names, typos.
    let res = suggest(&app, tok, "dup").await;
    let ids = suggestion_ids(&res);
    assert!(ids.contains(&dupont) && ids.contains(&dupond), "{res}");
    assert!(!ids.contains(&durand), "{res}");
    let res = suggest(&app, tok, "d").await;
    let ids = suggestion_ids(&res);
    assert!(ids.contains(&dupont) && ids.contains(&durand), "{res}");
    let res = suggest(&app, tok, "so").await;
    assert_eq!(suggestion_ids(&res), [sg.as_str()], "{res}");
    let s = &res["items"][0];
    assert_eq!(s["type"], "organisation");
    assert_eq!(s["label"], "Société Générale");
    let res = suggest(&app, tok, "gén").await;
    assert_eq!(
        suggestion_ids(&res),
        [sg.as_str()],
        "word inside the name: {res}"
    );
    let res = suggest(&app, tok, "societe generale").await;
    assert_eq!(suggestion_ids(&res), [sg.as_str()], "{res}");
    let res = suggest(&app, tok, "jean dup").await;
    assert_eq!(suggestion_ids(&res)[0], dupont, "{res}");
    let res = suggest(&app, tok, "Dupomt").await;
    assert!(suggestion_ids(&res).contains(&dupont), "typo: {res}");
    let res = suggest(&app, tok, "lefebre").await;
    assert_eq!(suggestion_ids(&res), [lefebvre.as_str()], "{res}");
    // The second pass alone gives the near misses, not what the first pass found (migration
    // 0026): "dupomt" starts no name but is close to "dupont"; "dup" is too short to correct.
    assert!(
        suggested_ids(&app, t.id, "person", "dupomt", false)
            .await
            .is_empty()
    );
    assert!(
        suggested_ids(&app, t.id, "person", "dupomt", true)
            .await
            .contains(&dupont)
    );
    assert_eq!(
        suggested_ids(&app, t.id, "person", "dup", false)
            .await
            .len(),
        2
    );
    assert!(
        suggested_ids(&app, t.id, "person", "dup", true)
            .await
            .is_empty()
    );
    // Names starting with the text rank first.
    let res = suggest(&app, tok, "dupon").await;
    let ids = suggestion_ids(&res);
    assert_eq!(ids.len(), 2, "{res}");
    let scores: Vec<f64> = res["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{res}");
    assert!(
        suggest(&app, tok, "zzz").await["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn name_matches_rank_above_notes_matches() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let in_notes = org(
        &app,
        tok,
        json!({"name": "Azur Capital",
               "notes": "Partenaire historique d'Horizon, Horizon et encore Horizon"}),
    )
    .await;
    let in_name = org(&app, tok, json!({"name": "Horizon Patrimoine"})).await;
    let in_email = org(
        &app,
        tok,
        json!({"name": "Cabinet Roux", "email": "contact@horizon.fr"}),
    )
    .await;
    let res = search(&app, tok, &[("q", "horizon")]).await;
    assert_eq!(
        hits(&res, "organisation"),
        [in_name.clone(), in_email.clone(), in_notes.clone()],
        "{res}"
    );
    let rank = |id: &str| hit(&res, "organisation", id)["rank"].as_f64().unwrap();
    assert!(rank(&in_name) > rank(&in_email) && rank(&in_email) > rank(&in_notes));
    assert_eq!(
        hit(&res, "organisation", &in_email)["matched_field"],
        "email"
    );
    assert_eq!(
        hit(&res, "organisation", &in_notes)["matched_field"],
        "notes"
    );
    assert_eq!(group(&res, "organisation")["total"], 3);
    assert_eq!(group(&res, "organisation")["total_capped"], false);

    // limit caps each group; total still counts them all.
    let res = search(&app, tok, &[("q", "horizon"), ("limit", "1")]).await;
    assert_eq!(hits(&res, "organisation"), [in_name]);
    assert_eq!(group(&res, "organisation")["total"], 3);
}

#[tokio::test]
async fn every_kind_is_searchable_right_after_a_write() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let o = org(&app, tok, json!({"name": "Quetzal Finance"})).await;
    // Findable by the very next request.
    let res = search(&app, tok, &[("q", "quetzal")]).await;
    assert_eq!(hits(&res, "organisation"), [o.as_str()]);
    assert_eq!(
        suggestion_ids(&suggest(&app, tok, "quet").await),
        [o.as_str()]
    );

    let p = person(
        &app,
        tok,
        json!({"first_name": "Inès", "last_name": "Quintal", "job_title": "Trésorière"}),
    )
    .await;
    let m = create(
        &app,
        tok,
        "/api/v1/mandates",
        json!({"organisation_id": o, "number": "M-2031-077", "notes": "Mandat quinquennal"}),
    )
    .await;
    let m = m["id"].as_str().unwrap().to_owned();
    let i = create(
        &app,
        tok,
        "/api/v1/interactions",
        json!({"kind": "call", "organisation_id": o,
               "summary": "Appel au sujet du mandat quinquennal <b>urgent</b>"}),
    )
    .await;
    let i = i["id"].as_str().unwrap().to_owned();

    let res = search(&app, tok, &[("q", "trésorière")]).await;
    assert_eq!(hits(&res, "person"), [p.as_str()]);
    assert_eq!(hit(&res, "person", &p)["matched_field"], "job_title");
    let res = search(&app, tok, &[("q", "M-2031-077")]).await;
    assert_eq!(hits(&res, "mandate"), [m.as_str()]);
    let h = hit(&res, "mandate", &m);
    assert_eq!(h["matched_field"], "number");
    assert_eq!(h["title"], "M-2031-077");
    assert_eq!(h["subtitle"], "draft");
    let res = search(&app, tok, &[("q", "2031-077")]).await;
    assert_eq!(hits(&res, "mandate"), [m.as_str()]);
    let res = search(&app, tok, &[("q", "quinquennal")]).await;
    assert_eq!(hits(&res, "mandate"), [m.as_str()]);
    assert_eq!(hits(&res, "interaction"), [i.as_str()]);
    let h = hit(&res, "interaction", &i);
    assert_eq!(h["matched_field"], "summary");
    assert!(
        h["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>quinquennal</mark>"),
        "{h}"
    );
    assert!(!h["snippet"].as_str().unwrap().contains("<b>"), "{h}");
    assert!(
        h["subtitle"].as_str().unwrap().starts_with("call · "),
        "{h}"
    );
    assert_eq!(
        suggestion_ids(&suggest(&app, tok, "m-2031").await),
        [m.as_str()]
    );

    // An update is visible at once: the new name is found, the old one no longer.
    let (status, body) = app
        .patch(
            &format!("/api/v1/organisations/{o}"),
            tok,
            json!({"name": "Xylophone Gestion"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let res = search(&app, tok, &[("q", "xylophone")]).await;
    assert_eq!(hits(&res, "organisation"), [o.as_str()]);
    let res = search(&app, tok, &[("q", "quetzal")]).await;
    assert!(hits(&res, "organisation").is_empty(), "{res}");

    // Deleted records disappear from search and suggestions; restored ones come back.
    let (status, _) = app.delete(&format!("/api/v1/organisations/{o}"), tok).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.delete(&format!("/api/v1/people/{p}"), tok).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.delete(&format!("/api/v1/interactions/{i}"), tok).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let res = search(&app, tok, &[("q", "xylophone")]).await;
    assert_eq!(group(&res, "organisation")["total"], 0, "{res}");
    assert!(
        suggest(&app, tok, "xylo").await["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let res = search(&app, tok, &[("q", "trésorière")]).await;
    assert!(hits(&res, "person").is_empty());
    assert!(
        suggest(&app, tok, "quintal").await["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let res = search(&app, tok, &[("q", "quinquennal")]).await;
    assert!(hits(&res, "interaction").is_empty(), "{res}");
    let (status, body) = app
        .post(
            &format!("/api/v1/organisations/{o}/restore"),
            Some(tok),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let res = search(&app, tok, &[("q", "xylophone")]).await;
    assert_eq!(hits(&res, "organisation"), [o]);
}

#[tokio::test]
async fn filters_and_types_combine_with_the_text() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let paris_opcvm = org(
        &app,
        tok,
        json!({"name": "Atlas Gestion Paris", "city": "Paris", "category": "opcvm"}),
    )
    .await;
    let lyon_scpi = org(
        &app,
        tok,
        json!({"name": "Atlas Gestion Lyon", "city": "Lyon", "category": "scpi"}),
    )
    .await;
    let atlas_person = person(&app, tok, json!({"last_name": "Atlas"})).await;
    let m = create(
        &app,
        tok,
        "/api/v1/mandates",
        json!({"organisation_id": paris_opcvm, "notes": "Atlas", "status": "proposed"}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let res = search(&app, tok, &[("q", "atlas")]).await;
    assert_eq!(
        group_types(&res),
        ["organisation", "person", "mandate", "interaction"]
    );
    assert_eq!(hits(&res, "organisation").len(), 2);
    assert_eq!(hits(&res, "person"), [atlas_person.as_str()]);
    assert_eq!(hits(&res, "mandate"), [m.as_str()]);

    let res = search(&app, tok, &[("q", "atlas"), ("category", "opcvm")]).await;
    assert_eq!(
        group_types(&res),
        ["organisation"],
        "only organisations have a category"
    );
    assert_eq!(hits(&res, "organisation"), [paris_opcvm.as_str()]);
    let res = search(&app, tok, &[("q", "atlas"), ("city", "LYON")]).await;
    assert_eq!(hits(&res, "organisation"), [lyon_scpi.as_str()]);
    let res = search(
        &app,
        tok,
        &[
            ("q", "atlas"),
            ("category", "opcvm,scpi"),
            ("city", "paris"),
        ],
    )
    .await;
    assert_eq!(hits(&res, "organisation"), [paris_opcvm.as_str()]);
    let res = search(&app, tok, &[("q", "atlas"), ("status", "proposed")]).await;
    assert_eq!(group_types(&res), ["mandate"]);
    assert_eq!(hits(&res, "mandate"), [m.as_str()]);
    let res = search(&app, tok, &[("q", "atlas"), ("status", "signed")]).await;
    assert!(hits(&res, "mandate").is_empty());
    let res = search(&app, tok, &[("q", "atlas"), ("types", "person,mandate")]).await;
    assert_eq!(group_types(&res), ["person", "mandate"]);

    // Created range: everything was created just now.
    let past = "2000-01-01T00:00:00Z";
    let future = "2999-01-01T00:00:00Z";
    let res = search(
        &app,
        tok,
        &[
            ("q", "atlas"),
            ("created_from", past),
            ("created_to", future),
        ],
    )
    .await;
    assert_eq!(total_hits(&res), 4);
    let res = search(&app, tok, &[("q", "atlas"), ("created_from", future)]).await;
    assert_eq!(total_hits(&res), 0);
    let res = search(&app, tok, &[("q", "atlas"), ("created_to", past)]).await;
    assert_eq!(total_hits(&res), 0);
}

#[tokio::test]
async fn results_respect_scopes_and_permissions() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let team = app.create_team(&t, "Paris").await;
    let other_team = app.create_team(&t, "Lyon").await;
    let alice = app
        .create_user(&t, "alice@acme.test", "user", Some(team))
        .await;
    let bob = app
        .create_user(&t, "bob@acme.test", "user", Some(team))
        .await;
    let carol = app
        .create_user(&t, "carol@acme.test", "user", Some(other_team))
        .await;
    let manager = app
        .create_user(&t, "manager@acme.test", "manager", Some(team))
        .await;
    let viewer = app
        .create_user(&t, "viewer@acme.test", "viewer", None)
        .await;

    let a = org(&app, &alice.token, json!({"name": "Zéphyr Alice"})).await;
    let b = org(&app, &bob.token, json!({"name": "Zéphyr Bob"})).await;
    let c = org(&app, &carol.token, json!({"name": "Zéphyr Carol"})).await;
    let ap = person(&app, &alice.token, json!({"last_name": "Zéphyr"})).await;
    let ai = create(
        &app,
        &alice.token,
        "/api/v1/interactions",
        json!({"kind": "note", "organisation_id": a, "summary": "Zéphyr au téléphone"}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    // Own scope: only Alice's records, and counts say so.
    let res = search(&app, &alice.token, &[("q", "zephyr")]).await;
    assert_eq!(hits(&res, "organisation"), [a.as_str()]);
    assert_eq!(group(&res, "organisation")["total"], 1);
    assert_eq!(hits(&res, "person"), [ap.as_str()]);
    assert_eq!(hits(&res, "interaction"), [ai.as_str()]);
    let res = search(&app, &bob.token, &[("q", "zephyr")]).await;
    assert_eq!(hits(&res, "organisation"), [b.as_str()]);
    assert!(hits(&res, "person").is_empty() && hits(&res, "interaction").is_empty());
    assert_eq!(total_hits(&res), 1);
    let res = suggest(&app, &alice.token, "zeph").await;
    assert_eq!(
        sorted(suggestion_ids(&res)),
        sorted(vec![a.clone(), ap.clone()])
    );
    let res = suggest(&app, &carol.token, "zeph").await;
    assert_eq!(suggestion_ids(&res), [c.as_str()]);
    // Typo-tolerant matches are scoped too.
    let res = search(&app, &bob.token, &[("q", "zephir")]).await;
    assert_eq!(hits(&res, "organisation"), [b.as_str()], "{res}");

    // Team scope: the manager sees the team's records, not Carol's.
    let res = search(&app, &manager.token, &[("q", "zephyr")]).await;
    assert_eq!(
        sorted(hits(&res, "organisation")),
        sorted(vec![a.clone(), b.clone()])
    );
    let res = suggest(&app, &manager.token, "zéphyr").await;
    assert!(!suggestion_ids(&res).contains(&c), "{res}");

    // All: the viewer and the admin see everything.
    for tok in [&viewer.token, &t.admin.token] {
        let res = search(&app, tok, &[("q", "zephyr")]).await;
        assert_eq!(
            sorted(hits(&res, "organisation")),
            sorted(vec![a.clone(), b.clone(), c.clone()])
        );
        assert_eq!(group(&res, "organisation")["total"], 3);
    }

    // Kinds without a read grant are skipped silently, also when asked for.
    let (status, role) = app
        .post(
            "/api/v1/roles",
            Some(&t.admin.token),
            json!({"key": "orgs-only", "name": "Organisations only",
                   "grants": [{"resource": "organisations", "action": "read", "scope": "all"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{role}");
    let limited = app
        .create_user(&t, "limited@acme.test", "orgs-only", None)
        .await;
    let res = search(&app, &limited.token, &[("q", "zephyr")]).await;
    assert_eq!(group_types(&res), ["organisation"]);
    assert_eq!(hits(&res, "organisation").len(), 3);
    let res = search(
        &app,
        &limited.token,
        &[("q", "zephyr"), ("types", "person")],
    )
    .await;
    assert_eq!(group_types(&res), Vec::<String>::new());
    let res = suggest(&app, &limited.token, "zeph").await;
    assert_eq!(sorted(suggestion_ids(&res)), sorted(vec![a, b, c]));
    let nothing = app
        .post(
            "/api/v1/roles",
            Some(&t.admin.token),
            json!({"key": "nothing", "name": "Nothing", "grants": []}),
        )
        .await;
    assert_eq!(nothing.0, StatusCode::CREATED);
    let idle = app.create_user(&t, "idle@acme.test", "nothing", None).await;
    let res = search(&app, &idle.token, &[("q", "zephyr")]).await;
    assert_eq!(group_types(&res), Vec::<String>::new());
    assert!(
        suggest(&app, &idle.token, "zeph").await["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn other_tenants_never_see_matches_not_even_in_counts() {
    let app = spawn_app().await;
    let a = app.create_tenant("alpha").await;
    let b = app.create_tenant("beta").await;
    let o = org(
        &app,
        &a.admin.token,
        json!({"name": "Quokka Conseil", "notes": "Quokka"}),
    )
    .await;
    person(&app, &a.admin.token, json!({"last_name": "Quokka"})).await;
    create(
        &app,
        &a.admin.token,
        "/api/v1/mandates",
        json!({"organisation_id": o, "number": "QUOKKA-1", "notes": "quokka"}),
    )
    .await;
    create(
        &app,
        &a.admin.token,
        "/api/v1/interactions",
        json!({"kind": "note", "organisation_id": o, "summary": "quokka"}),
    )
    .await;
    let res = search(&app, &a.admin.token, &[("q", "quokka")]).await;
    assert_eq!(total_hits(&res), 4);

    for q in ["quokka", "quoka", "quo", "q", "QUOKKA-1"] {
        let res = search(&app, &b.admin.token, &[("q", q)]).await;
        assert_eq!(group_types(&res).len(), 4, "{res}");
        assert_eq!(total_hits(&res), 0, "{q}: {res}");
        let res = suggest(&app, &b.admin.token, q).await;
        assert!(res["items"].as_array().unwrap().is_empty(), "{q}: {res}");
    }
    // Tenant B's own record with the same name is all B sees.
    let mine = org(&app, &b.admin.token, json!({"name": "Quokka Beta"})).await;
    let res = search(&app, &b.admin.token, &[("q", "quokka")]).await;
    assert_eq!(hits(&res, "organisation"), std::slice::from_ref(&mine));
    assert_eq!(total_hits(&res), 1);

    // The statements the API sends outside a transaction (migration 0033) confine themselves
    // to the tenant they are given, as the application role, and leave no tenant behind on
    // the connection: what follows them sees no tenant's rows.
    let mut conn = app.superuser().await;
    sqlx::query("SET ROLE relais_app")
        .execute(&mut conn)
        .await
        .unwrap();
    let found: Vec<(uuid::Uuid,)> = sqlx::query_as(
        "SELECT id FROM relais_search_hits($1, 'organisation', 'quokka', false, 10, 100, NULL, \
         NULL, NULL, NULL, NULL, NULL, NULL, 'MaxWords=20, MinWords=5')",
    )
    .bind(b.id)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(found, [(mine.parse().unwrap(),)]);
    let found: Vec<(uuid::Uuid,)> = sqlx::query_as(
        "SELECT id FROM relais_autocomplete_hits($1, 'organisation', 'quok', false, 10, 50, NULL, \
         NULL)",
    )
    .bind(b.id)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(found, [(mine.parse().unwrap(),)]);
    let (setting, visible): (String, i64) = sqlx::query_as(
        "SELECT coalesce(current_setting('app.tenant_id', true), ''), \
                (SELECT count(*) FROM organisations)",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!((setting.as_str(), visible), ("", 0));
}

#[tokio::test]
async fn bad_queries_are_422_and_hostile_ones_harmless() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let tok = &t.admin.token;
    let o = org(
        &app,
        tok,
        json!({"name": "O'Neil & Fils", "notes": "a\\b c:* d! (e) | f <-> g"}),
    )
    .await;

    for path in ["/api/v1/search", "/api/v1/search/autocomplete"] {
        // Empty, blank or missing text.
        for q in ["", "   ", "\t\n", "\0"] {
            let (s, body) = get_with(&app, path, tok, &[("q", q)]).await;
            assert_problem(s, &body, 422, "validation_failed");
            assert_eq!(body["errors"][0]["field"], "q", "{body}");
            assert_eq!(body["errors"][0]["code"], "required", "{body}");
        }
        let (s, body) = get_with(&app, path, tok, &[]).await;
        assert_problem(s, &body, 422, "validation_failed");
        // Overlong: more than 200 characters.
        let long = "é".repeat(201);
        let (s, body) = get_with(&app, path, tok, &[("q", &long)]).await;
        assert_problem(s, &body, 422, "validation_failed");
        assert_eq!(body["errors"][0]["code"], "too_long", "{body}");
        let (s, _) = get_with(&app, path, tok, &[("q", &"é".repeat(200))]).await;
        assert_eq!(s, StatusCode::OK);
        // Other parameters.
        let (s, body) = get_with(&app, path, tok, &[("q", "x"), ("limit", "0")]).await;
        assert_problem(s, &body, 422, "validation_failed");
        assert_eq!(body["errors"][0]["field"], "limit");
        let (s, body) = get_with(&app, path, tok, &[("q", "x"), ("limit", "abc")]).await;
        assert_problem(s, &body, 400, "invalid_query");
        let (s, body) = get_with(
            &app,
            path,
            tok,
            &[("q", "x"), ("types", "organisation,bogus")],
        )
        .await;
        assert_problem(s, &body, 422, "validation_failed");
        assert_eq!(body["errors"][0]["field"], "types");
        // Without a token.
        let res = app
            .req(Method::GET, path, None)
            .query(&[("q", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let (s, body) = get_with(
        &app,
        "/api/v1/search/autocomplete",
        tok,
        &[("q", "x"), ("limit", "11")],
    )
    .await;
    assert_problem(s, &body, 422, "validation_failed");
    let (s, body) = get_with(&app, "/api/v1/search", tok, &[("q", "x"), ("limit", "51")]).await;
    assert_problem(s, &body, 422, "validation_failed");
    let (s, body) = get_with(
        &app,
        "/api/v1/search",
        tok,
        &[("q", "x"), ("category", "nope"), ("status", "nope")],
    )
    .await;
    assert_problem(s, &body, 422, "validation_failed");
    assert_eq!(
        body["errors"].as_array().unwrap().len(),
        2,
        "every bad field: {body}"
    );
    let (s, body) = get_with(
        &app,
        "/api/v1/search",
        tok,
        &[("q", "x"), ("created_from", "yesterday")],
    )
    .await;
    assert_problem(s, &body, 400, "invalid_query");
    let (s, body) = get_with(
        &app,
        "/api/v1/search",
        tok,
        &[
            ("q", "x"),
            ("created_from", "2025-01-02T00:00:00Z"),
            ("created_to", "2025-01-01T00:00:00Z"),
        ],
    )
    .await;
    assert_problem(s, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "created_to");

    // Characters that are tsquery syntax, quoting, escapes, NUL, LIKE wildcards, SQL: never a
    // 500, and treated as plain text.
    let hostile = [
        "'",
        "''",
        "&",
        "|",
        "!",
        "!!",
        ":*",
        "a:*",
        "a & b",
        "a | b",
        "!a",
        "(",
        ")",
        "()",
        "<->",
        "<2>",
        "a <-> b",
        "\\",
        "\\\\",
        "\\'",
        "'\\",
        "\"",
        "\"unterminated",
        "-",
        "--",
        "- -",
        "or",
        "and",
        "not",
        "%",
        "_",
        "%_%",
        "*",
        "@",
        "@@",
        "'; DROP TABLE organisations; --",
        "x\0y",
        "\0a",
        "🙂",
        "日本語",
        "é\u{301}",
        "\u{E000}",
        "\u{FFFF}",
        ":",
        "::",
        "a:b",
        "1:*A",
        "o'neil",
        "O'Neil & Fils",
        "c:*",
        "d!",
        "(e)",
        "f <-> g",
        "a\\b",
    ];
    for q in hostile {
        for path in ["/api/v1/search", "/api/v1/search/autocomplete"] {
            let (s, body) = get_with(&app, path, tok, &[("q", q)]).await;
            assert!(
                s == StatusCode::OK
                    || (s == StatusCode::UNPROCESSABLE_ENTITY && body["errors"][0]["field"] == "q"),
                "{path} {q:?}: {s} {body}"
            );
        }
    }
    // …and the record is still found through its punctuation-laden text.
    let res = search(&app, tok, &[("q", "O'Neil & Fils")]).await;
    assert_eq!(hits(&res, "organisation"), [o.as_str()]);
    let res = search(&app, tok, &[("q", "oneil")]).await;
    assert_eq!(
        hits(&res, "organisation"),
        [o.as_str()],
        "typo-tolerant: {res}"
    );
    assert_eq!(
        suggestion_ids(&suggest(&app, tok, "o'ne").await),
        [o.as_str()]
    );
    // The table is intact.
    let (s, _) = app.get(&format!("/api/v1/organisations/{o}"), tok).await;
    assert_eq!(s, StatusCode::OK);
}

/// Counter of index scans on one index, as the statistics collector reports it.
async fn idx_scans(conn: &mut sqlx::PgConnection, index: &str) -> i64 {
    sqlx::query("SELECT pg_stat_clear_snapshot()")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("SELECT coalesce(sum(idx_scan), 0)::int8 AS n FROM pg_stat_user_indexes WHERE indexrelname = $1")
        .bind(index)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
        .get("n")
}

async fn plan(conn: &mut sqlx::PgConnection, sql: &str) -> String {
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.iter()
        .map(|r| r.get::<String, _>(0))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The functions named by `names` (a regular expression) whose `SET` clauses include `setting`
/// (`name=value`, as `pg_proc.proconfig` spells it), sorted.
async fn functions_with(conn: &mut sqlx::PgConnection, names: &str, setting: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT proname::text FROM pg_proc WHERE proname ~ $1 AND $2 = ANY (proconfig) ORDER BY 1",
    )
    .bind(names)
    .bind(setting)
    .fetch_all(conn)
    .await
    .unwrap()
}

/// The line after a plan's bitmap scan of `index`: its condition.
fn index_cond<'a>(plan: &'a str, index: &str) -> &'a str {
    plan.lines()
        .skip_while(|l| !l.contains(&format!("Bitmap Index Scan on {index}")))
        .nth(1)
        .unwrap_or_default()
}

#[tokio::test]
async fn searches_use_the_text_and_trigram_indexes() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let other = app.create_tenant("other").await;
    let owner = t.admin.id;
    let mut su = app.superuser().await;
    // A few thousand rows in each of two tenants, with French names and notes.
    for (tenant, owner, n) in [(t.id, owner, 4000), (other.id, other.admin.id, 4000)] {
        sqlx::query(
            "INSERT INTO organisations (tenant_id, id, name, type, city, notes, owner_id)
             SELECT $1, gen_random_uuid(),
                    (ARRAY['Cabinet','Groupe','Banque','Société'])[1 + i % 4] || ' ' ||
                    (ARRAY['Martin','Bernard','Dubois','Durand','Lefèvre','Moreau','Girard',
                           'Roux','Fournier','Mercier'])[1 + (i / 4) % 10] || ' ' || i,
                    'investor',
                    (ARRAY['Paris','Lyon','Nantes','Lille'])[1 + i % 4],
                    CASE WHEN i % 3 = 0 THEN 'Intéressé par la gestion pilotée' END,
                    $2
             FROM generate_series(1, $3) AS i",
        )
        .bind(tenant)
        .bind(owner)
        .bind(n)
        .execute(&mut su)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO people (tenant_id, id, first_name, last_name, email, owner_id)
             SELECT $1, gen_random_uuid(),
                    (ARRAY['Jean','Marie','Élodie','Loïc'])[1 + i % 4],
                    (ARRAY['Martin','Bernard','Dubois','Durand','Lefèvre','Moreau','Girard',
                           'Roux','Fournier','Mercier'])[1 + (i / 4) % 10] || i,
                    'p' || i || '@exemple.fr', $2
             FROM generate_series(1, $3) AS i",
        )
        .bind(tenant)
        .bind(owner)
        .bind(n)
        .execute(&mut su)
        .await
        .unwrap();
    }
    for (tenant, owner) in [(t.id, owner), (other.id, other.admin.id)] {
        sqlx::query(
            "INSERT INTO mandates (tenant_id, id, number, organisation_id, owner_id, notes)
             SELECT $1, gen_random_uuid(), 'M-' || (2000 + n % 20) || '-' || n, o.id, $2,
                    'Mandat de gestion numéro ' || n
             FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM organisations
                   WHERE tenant_id = $1) o",
        )
        .bind(tenant)
        .bind(owner)
        .execute(&mut su)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO interactions (tenant_id, id, kind, author_id, summary, organisation_id)
             SELECT $1, gen_random_uuid(), 'call', $2, 'Appel de suivi numéro ' || n, o.id
             FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM organisations
                   WHERE tenant_id = $1) o",
        )
        .bind(tenant)
        .bind(owner)
        .execute(&mut su)
        .await
        .unwrap();
    }
    // What autovacuum does in production: statistics, and the GIN pending lists merged.
    sqlx::query("VACUUM ANALYZE organisations, people, mandates, interactions, search_words")
        .execute(&mut su)
        .await
        .unwrap();
    let dupont = org(&app, &t.admin.token, json!({"name": "Dupont Patrimoine"})).await;

    // The statements search_ids()/autocomplete_ids() run, planned as their owner (the role
    // they execute as), use the GIN and trigram indexes.
    as_owner_in(&mut su, t.id).await;
    let args = "10, 200, NULL, NULL, NULL, NULL, NULL, NULL, NULL";
    // Own scope: the words keyed by owner (migration 0036), one entry per owner and word, for
    // organisations and people; the tenant and owner are filters only.
    for (kind, index, plain) in [
        (
            "organisation",
            "organisations_search_owner_idx",
            "organisations_search_idx",
        ),
        ("person", "people_search_owner_idx", "people_search_idx"),
    ] {
        let p = plan(
            &mut su,
            &format!(
                "SELECT * FROM search_plan('{kind}', 'Martin', false, 10, 200, \
                 '{owner}', NULL, NULL, NULL, NULL, NULL, NULL)"
            ),
        )
        .await;
        let scan = index_cond(&p, index);
        assert!(
            scan.contains("Index Cond: ") && scan.contains(".martin"),
            "{p}"
        );
        assert!(!p.contains(&format!("on {plain} ")), "{p}");
    }
    // Own scope, a typo: the corrected names are looked up through the name index narrowed to
    // the owner's rows by the index itself (owner first, migration 0032), in autocomplete's
    // near misses and in search's second pass.
    for (kind, index) in [
        ("organisation", "organisations_name_search_idx"),
        ("person", "people_name_search_idx"),
    ] {
        for sql in [
            format!(
                "SELECT * FROM autocomplete_plan('{kind}', 'Dupomd', true, 10, 50, '{owner}', NULL)"
            ),
            format!(
                "SELECT * FROM search_plan('{kind}', 'Dupomd', false, 10, 200, \
                 '{owner}', NULL, NULL, NULL, NULL, NULL, NULL)"
            ),
        ] {
            let p = plan(&mut su, &sql).await;
            let scan = index_cond(&p, index);
            assert!(
                scan.contains("Index Cond: ((owner_id = ") && scan.contains("@@ '''dupont'''"),
                "{sql}: {p}"
            );
        }
    }
    let p = plan(
        &mut su,
        &format!("SELECT * FROM search_plan('organisation', 'Dupond', false, {args})"),
    )
    .await;
    // Words through a text index (the owner-keyed one, migration 0036: no statistics copied
    // yet, so the tenant does not count as holding most rows); the typo first corrected
    // against the vocabulary (its trigram index), then the corrected words through the name
    // index.
    assert!(p.contains("organisations_search_owner_idx"), "{p}");
    assert!(p.contains("search_words_trgm_idx"), "{p}");
    assert!(p.contains("organisations_name_search_idx"), "{p}");
    assert!(p.contains("@@ '''dupont'''"), "corrected to dupont: {p}");
    assert!(!p.contains("Seq Scan"), "{p}");
    let p = plan(
        &mut su,
        &format!("SELECT * FROM search_plan('person', 'Dupond', false, {args})"),
    )
    .await;
    assert!(
        p.contains("people_search_owner_idx")
            && p.contains("search_words_trgm_idx")
            && p.contains("people_name_search_idx"),
        "{p}"
    );
    let p = plan(
        &mut su,
        &format!("SELECT * FROM search_plan('mandate', 'M-2026-001', false, {args})"),
    )
    .await;
    assert!(p.contains("mandates_search_idx"), "{p}");
    let p = plan(
        &mut su,
        &format!("SELECT * FROM search_plan('interaction', 'rendez-vous', true, {args})"),
    )
    .await;
    assert!(p.contains("interactions_search_idx"), "{p}");
    // A broad word (a quarter of the rows): whatever the access path, a bounded number of
    // rows is read.
    let p = plan(
        &mut su,
        &format!("SELECT * FROM search_plan('organisation', 'paris', false, {args})"),
    )
    .await;
    assert!(p.contains("Limit"), "{p}");
    let p = plan(
        &mut su,
        "SELECT * FROM autocomplete_plan('organisation', 'du', false, 10, 50, NULL, NULL)",
    )
    .await;
    // Names starting with "du": the prefix index, in order, stopping at the page size. (Names
    // with another word starting with "du" are a fifth of these rows: reading the table
    // until 50 turn up is the cheaper path there, and the planner knows it.)
    assert!(p.contains("organisations_name_prefix_idx"), "{p}");
    // A later word followed by another (migration 0024): the names' word pairs, not the
    // trigrams, which the LIKE of one word keeps.
    let p = plan(
        &mut su,
        "SELECT * FROM autocomplete_plan('organisation', 'martin 12', false, 10, 50, NULL, NULL)",
    )
    .await;
    assert!(p.contains("organisations_name_pairs_idx"), "{p}");
    assert!(!p.contains("organisations_name_trgm_idx"), "{p}");
    let p = plan(
        &mut su,
        "SELECT * FROM autocomplete_plan('organisation', 'martin', false, 10, 50, NULL, NULL)",
    )
    .await;
    assert!(!p.contains("organisations_name_pairs_idx"), "{p}");
    let p = plan(
        &mut su,
        "SELECT * FROM autocomplete_plan('organisation', 'dupomd', true, 10, 50, NULL, NULL)",
    )
    .await;
    assert!(p.contains("search_words_trgm_idx"), "{p}");
    assert!(p.contains("organisations_name_search_idx"), "{p}");
    // The near misses alone (migration 0026): the first pass is not run again.
    assert!(!p.contains("organisations_name_prefix_idx"), "{p}");
    let p = plan(
        &mut su,
        "SELECT * FROM autocomplete_plan('person', 'jean.dup', false, 10, 50, NULL, NULL)",
    )
    .await;
    assert!(
        p.contains("people_name_prefix_idx")
            && p.contains("people_last_name_prefix_idx")
            && p.contains("people_email_trgm_idx"),
        "{p}"
    );
    let p = plan(
        &mut su,
        "SELECT * FROM autocomplete_plan('organisation', 'contact@dup', false, 10, 50, NULL, NULL)",
    )
    .await;
    assert!(p.contains("organisations_email_trgm_idx"), "{p}");
    let p = plan(
        &mut su,
        "SELECT * FROM autocomplete_plan('mandate', 'm-20', false, 10, 50, NULL, NULL)",
    )
    .await;
    assert!(p.contains("mandates_number_prefix_idx"), "{p}");

    // Own scope in autocomplete (migration 0025): names starting with the text among the
    // caller's records only, in order, through the owner-led prefix indexes, for a user who
    // owns about 1 record in 40 (the tenant's are read through the tenant-only ones).
    let seller = app.create_user(&t, "seller@acme.test", "user", None).await;
    for sql in [
        "UPDATE organisations SET owner_id = $1 WHERE tenant_id = $2 \
         AND get_byte(uuid_send(id), 15) < 6",
        "UPDATE people SET owner_id = $1 WHERE tenant_id = $2 \
         AND get_byte(uuid_send(id), 15) < 6",
    ] {
        sqlx::query(sql)
            .bind(seller.id)
            .bind(t.id)
            .execute(&mut su)
            .await
            .unwrap();
    }
    sqlx::query("ANALYZE organisations, people")
        .execute(&mut su)
        .await
        .unwrap();
    let p = plan(
        &mut su,
        &format!(
            "SELECT * FROM autocomplete_plan('organisation', 'c', false, 10, 50, '{}', NULL)",
            seller.id
        ),
    )
    .await;
    assert!(p.contains("organisations_owner_name_prefix_idx"), "{p}");
    let p = plan(
        &mut su,
        &format!(
            "SELECT * FROM autocomplete_plan('person', 'm', false, 10, 50, '{}', NULL)",
            seller.id
        ),
    )
    .await;
    assert!(
        p.contains("people_owner_name_prefix_idx")
            && p.contains("people_owner_last_name_prefix_idx"),
        "{p}"
    );
    let p = plan(
        &mut su,
        "SELECT * FROM autocomplete_plan('organisation', 'c', false, 10, 50, NULL, NULL)",
    )
    .await;
    assert!(p.contains("organisations_name_prefix_idx"), "{p}");

    // A team scope over interactions (migration 0027): the team's authors as one array, an
    // index condition, rather than an OR with a subquery checked on every row.
    let team = app.create_team(&t, "Ventes").await;
    let member = app
        .create_user(&t, "member@acme.test", "user", Some(team))
        .await;
    let p = plan(
        &mut su,
        &format!(
            "SELECT * FROM search_plan('interaction', 'suivi', false, 10, 200, '{}', '{team}', \
             NULL, NULL, NULL, NULL, NULL)",
            member.id
        ),
    )
    .await;
    assert!(p.contains("author_id = ANY"), "{p}");

    // The small tables' look-ups never gamble on a sequential scan (migration 0021): a word
    // missing from the statistics is estimated at 0.5 % of the rows, and a scan expected to
    // stop early reads the whole table when the word is not there. Functions recreated by a
    // later migration must keep the setting.
    assert_eq!(
        functions_with(&mut su, "^relais_search_[a-z]+_ids$", "enable_seqscan=off").await,
        ["relais_search_interaction_ids", "relais_search_mandate_ids"]
    );
    // Every candidate look-up, and the EXPLAIN helpers that show them, plan for data in memory
    // (migration 0022): with a disk's random page cost an own-scope look-up intersects the
    // text's bitmap with a bitmap of every row the caller owns.
    assert_eq!(
        functions_with(
            &mut su,
            "^(relais_(search|autocomplete)_([a-z]+_)*[a-z]+_ids|search_plan|autocomplete_plan)$",
            "random_page_cost=1.1"
        )
        .await,
        [
            "autocomplete_plan",
            "relais_autocomplete_mandate_ids",
            "relais_autocomplete_near_head_organisation_ids",
            "relais_autocomplete_near_head_person_ids",
            "relais_autocomplete_near_organisation_ids",
            "relais_autocomplete_near_person_ids",
            "relais_autocomplete_organisation_ids",
            "relais_autocomplete_person_ids",
            "relais_search_head_interaction_ids",
            "relais_search_head_mandate_ids",
            "relais_search_head_organisation_ids",
            "relais_search_head_person_ids",
            "relais_search_interaction_ids",
            "relais_search_mandate_ids",
            "relais_search_names_head_organisation_ids",
            "relais_search_names_head_person_ids",
            "relais_search_names_organisation_ids",
            "relais_search_names_person_ids",
            "relais_search_ordered_organisation_ids",
            "relais_search_ordered_person_ids",
            "relais_search_organisation_ids",
            "relais_search_owned_organisation_ids",
            "relais_search_owned_person_ids",
            "relais_search_person_ids",
            "relais_search_tenant_organisation_ids",
            "relais_search_tenant_person_ids",
            "search_plan",
        ]
    );
    // Own scopes and small tenants read the owner-keyed index (migration 0036): those look-ups
    // alone plan without sequential or plain index scans or parallel workers, kept when the
    // functions are made again.
    for setting in [
        "enable_seqscan=off",
        "enable_indexscan=off",
        "max_parallel_workers_per_gather=0",
    ] {
        assert_eq!(
            functions_with(
                &mut su,
                "^relais_search_(owned|tenant)_[a-z]+_ids$",
                setting
            )
            .await,
            [
                "relais_search_owned_organisation_ids",
                "relais_search_owned_person_ids",
                "relais_search_tenant_organisation_ids",
                "relais_search_tenant_person_ids"
            ],
            "{setting}"
        );
    }
    // An own scope's common word reads the caller's rows in order (migration 0034): those
    // look-ups alone plan without bitmaps.
    assert_eq!(
        functions_with(
            &mut su,
            "^relais_(search|autocomplete)_([a-z]+_)*[a-z]+_ids$",
            "enable_bitmapscan=off"
        )
        .await,
        [
            "relais_search_ordered_organisation_ids",
            "relais_search_ordered_person_ids"
        ]
    );

    // Why the functions exist: through row-level security (the application role) the same
    // statement cannot use the text index, because @@ is not leakproof.
    sqlx::query("RESET ROLE").execute(&mut su).await.unwrap();
    sqlx::query("SET ROLE relais_app")
        .execute(&mut su)
        .await
        .unwrap();
    let p = plan(
        &mut su,
        &format!("SELECT * FROM search_plan('organisation', 'Dupond', false, {args})"),
    )
    .await;
    assert!(!p.contains("organisations_search_idx"), "{p}");
    sqlx::query("RESET ROLE").execute(&mut su).await.unwrap();

    // End to end: the API's searches do scan those indexes (statistics counters); the words
    // through the owner-keyed one here (no statistics copied, migration 0036).
    let indexes = [
        "organisations_search_owner_idx",
        "organisations_name_trgm_idx",
        "organisations_name_prefix_idx",
        "mandates_search_idx",
        "interactions_search_idx",
    ];
    let mut before = Vec::new();
    for i in indexes {
        before.push(idx_scans(&mut su, i).await);
    }
    let res = search(&app, &t.admin.token, &[("q", "Dupond")]).await;
    assert_eq!(hits(&res, "organisation")[0], dupont, "{res}");
    let res = suggest(&app, &t.admin.token, "dupo").await;
    assert_eq!(suggestion_ids(&res)[0], dupont, "{res}");
    let res = search(
        &app,
        &t.admin.token,
        &[("q", "paris"), ("types", "organisation")],
    )
    .await;
    assert_eq!(group(&res, "organisation")["total"], 100, "capped: {res}");
    assert_eq!(group(&res, "organisation")["total_capped"], true);
    assert_eq!(hits(&res, "organisation").len(), 10);
    // Words in every mandate and every interaction, found through those tables' text
    // indexes too (counted below), the candidate cap applied.
    for (q, kind) in [("mandat", "mandate"), ("suivi", "interaction")] {
        let res = search(&app, &t.admin.token, &[("q", q), ("types", kind)]).await;
        assert_eq!(group(&res, kind)["total"], 100, "capped: {res}");
    }
    // Statistics reach the shared counters when the server's connection goes idle (≤ ~1 s).
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let mut after = Vec::new();
        for i in indexes {
            after.push(idx_scans(&mut su, i).await);
        }
        if after.iter().zip(&before).all(|(a, b)| a > b) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "index scans before {before:?}, after {after:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // Tenant isolation holds with thousands of rows of another tenant in the same indexes.
    let res = search(&app, &other.admin.token, &[("q", "Dupont Patrimoine")]).await;
    assert!(
        hits(&res, "organisation").iter().all(|id| id != &dupont),
        "{res}"
    );
}

/// The words of a tenant's vocabulary, as tenant `tenant` sees them through row-level
/// security (the application role).
async fn vocabulary(app: &TestApp, tenant: uuid::Uuid) -> Vec<String> {
    use relais_store::ConnectionTrait;
    let tx = app
        .db
        .tenant_tx(relais_domain::TenantId(tenant))
        .await
        .unwrap();
    let rows = tx
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT word FROM search_words ORDER BY word",
        ))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    rows.iter()
        .map(|r| r.try_get::<String>("", "word").unwrap())
        .collect()
}

#[tokio::test]
async fn typos_are_corrected_against_the_tenant_vocabulary() {
    let app = spawn_app().await;
    let a = app.create_tenant("acme").await;
    let b = app.create_tenant("other").await;
    let tok = &a.admin.token;
    let org_id = org(&app, tok, json!({"name": "Quimper Vauban Conseil"})).await;
    let kerbrat = person(
        &app,
        tok,
        json!({"first_name": "Ophélie", "last_name": "Kerbrat-Le Goff"}),
    )
    .await;

    // The database keeps the vocabulary: the normalised words of every name, in the statement
    // that wrote them.
    let words = vocabulary(&app, a.id).await;
    for w in [
        "quimper", "vauban", "conseil", "ophelie", "kerbrat", "le", "goff",
    ] {
        assert!(words.iter().any(|x| x == w), "{w} missing from {words:?}");
    }
    // A rename adds the new words (the old ones may stay: they only propose spellings).
    let (status, body) = app
        .patch(
            &format!("/api/v1/organisations/{org_id}"),
            tok,
            json!({"name": "Quimper Tournesol"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let words = vocabulary(&app, a.id).await;
    assert!(words.iter().any(|x| x == "tournesol"), "{words:?}");
    // An update that leaves the name alone adds nothing.
    let before = words.len();
    let (status, body) = app
        .patch(
            &format!("/api/v1/people/{kerbrat}"),
            tok,
            json!({"job_title": "Gérante"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(vocabulary(&app, a.id).await.len(), before);

    // Typos go through the vocabulary, in search and in autocomplete.
    let res = search(&app, tok, &[("q", "Tournesoll")]).await;
    assert_eq!(hits(&res, "organisation"), [org_id.as_str()], "{res}");
    assert_eq!(hit(&res, "organisation", &org_id)["matched_field"], "name");
    let res = search(&app, tok, &[("q", "ophelie kerbrad")]).await;
    assert_eq!(hits(&res, "person"), [kerbrat.as_str()], "{res}");
    let res = suggest(&app, tok, "Kerbrad").await;
    assert_eq!(suggestion_ids(&res), [kerbrat.as_str()], "{res}");
    // A word left over by the rename finds nothing: results come from the records.
    let res = search(&app, tok, &[("q", "Vaubam")]).await;
    assert_eq!(total_hits(&res), 0, "{res}");
    assert!(
        suggest(&app, tok, "Vaubam").await["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // Words the vocabulary cannot correct: no typo match, and no error, whatever the rest.
    for q in [
        "Kerbrad Zzyzxqw",
        "Zzyzxqw",
        "de la",
        "Kerbrad Tournesoll Ophelie Quimper",
    ] {
        let res = search(&app, tok, &[("q", q)]).await;
        assert_eq!(total_hits(&res), 0, "{q}: {res}");
    }
    // Web-search syntax is matched as written.
    let res = search(&app, tok, &[("q", "\"Kerbrad\"")]).await;
    assert_eq!(total_hits(&res), 0, "{res}");

    // The caller's scope applies to typo matches too.
    let user = app.create_user(&a, "user@acme.test", "user", None).await;
    let res = search(&app, &user.token, &[("q", "ophelie kerbrad")]).await;
    assert!(hits(&res, "person").is_empty(), "{res}");
    assert!(
        suggest(&app, &user.token, "Kerbrad").await["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Tenant B neither sees A's words nor corrects its typos with them.
    let b_words = vocabulary(&app, b.id).await;
    assert!(!b_words.iter().any(|x| x == "kerbrat"), "{b_words:?}");
    let b_tok = &b.admin.token;
    let b_org = org(&app, b_tok, json!({"name": "Kerbratz Marine"})).await;
    let res = search(&app, b_tok, &[("q", "Kerbrad")]).await;
    assert_eq!(hits(&res, "organisation"), [b_org.as_str()], "{res}");
    assert!(hits(&res, "person").is_empty(), "{res}");
    assert!(!vocabulary(&app, a.id).await.iter().any(|x| x == "kerbratz"));
    // …nor writes into A's vocabulary.
    use relais_store::ConnectionTrait;
    let tx = app
        .db
        .tenant_tx(relais_domain::TenantId(b.id))
        .await
        .unwrap();
    let err = tx
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "INSERT INTO search_words (tenant_id, word) VALUES ($1, 'intrus')",
            vec![a.id.into()],
        ))
        .await
        .expect_err("writing another tenant's words must fail");
    assert!(err.to_string().contains("row-level security"), "{err}");
    drop(tx);
}

#[tokio::test]
async fn numbers_in_names_are_taken_as_typed() {
    let app = spawn_app().await;
    let a = app.create_tenant("acme").await;
    let tok = &a.admin.token;
    let fund = org(&app, tok, json!({"name": "Garnier Patrimoine 2024"})).await;
    let older = org(&app, tok, json!({"name": "Garnier Patrimoine 2023"})).await;
    let street = person(
        &app,
        tok,
        json!({"first_name": "Inès", "last_name": "Bonnet 12"}),
    )
    .await;

    // Numbers are not vocabulary words (the words around them are).
    let words = vocabulary(&app, a.id).await;
    for w in ["garnier", "patrimoine", "ines", "bonnet"] {
        assert!(words.iter().any(|x| x == w), "{w} missing from {words:?}");
    }
    for n in ["2024", "2023", "12"] {
        assert!(!words.iter().any(|x| x == n), "{n} in {words:?}");
    }

    // Exact searches find the number as written; a typo elsewhere in the text is still
    // corrected, the number is not: 2024 never stands for 2023.
    let res = search(&app, tok, &[("q", "Garnier Patrimoine 2024")]).await;
    assert_eq!(hits(&res, "organisation")[0], fund.as_str(), "{res}");
    let res = search(&app, tok, &[("q", "Garnjer 2024")]).await;
    assert_eq!(hits(&res, "organisation"), [fund.as_str()], "{res}");
    let res = search(&app, tok, &[("q", "Garnjer 2025")]).await;
    assert!(hits(&res, "organisation").is_empty(), "{res}");

    // Autocomplete: a later word that is a number, typed in part, still finds the name.
    let res = suggest(&app, tok, "patrimoine 202").await;
    let mut ids = suggestion_ids(&res);
    ids.sort();
    let mut both = vec![fund.as_str(), older.as_str()];
    both.sort();
    assert_eq!(ids, both, "{res}");
    let res = suggest(&app, tok, "patrimoine 2023").await;
    assert_eq!(suggestion_ids(&res), [older.as_str()], "{res}");
    let res = suggest(&app, tok, "bonnet 1").await;
    assert_eq!(suggestion_ids(&res), [street.as_str()], "{res}");
}

/// Whether autocomplete's word branch can match, from the tenant's vocabulary: every word but
/// the last is a name word, some name word starts with the last, numbers pass. Asked the same
/// question again and again in one session, as a pooled connection does, the answer stays
/// the same (the check keeps its look-ups between calls).
#[tokio::test]
async fn the_vocabulary_tells_when_a_later_word_can_match() {
    use relais_store::ConnectionTrait;
    let app = spawn_app().await;
    let a = app.create_tenant("acme").await;
    let b = app.create_tenant("other").await;
    org(
        &app,
        &a.admin.token,
        json!({"name": "Garnier Gestion Privée"}),
    )
    .await;
    org(&app, &b.admin.token, json!({"name": "Moreau Courtage"})).await;
    let tx = app
        .db
        .tenant_tx(relais_domain::TenantId(a.id))
        .await
        .unwrap();
    for _ in 0..8 {
        for (text, expected) in [
            ("garnier ges", true),
            ("garnier gestion privee", true),
            ("gestion g", true),
            ("garnier 12", true),
            ("12 gest", true),
            ("garnier gex", false),
            ("garnie gestion", false),
            // Another tenant's words are not this tenant's.
            ("moreau cour", false),
            ("garnier cour", false),
            ("", false),
        ] {
            let row = tx
                .query_one_raw(sea_orm::Statement::from_sql_and_values(
                    sea_orm::DbBackend::Postgres,
                    "SELECT relais_search_word_starts($1) AS ok",
                    [text.into()],
                ))
                .await
                .unwrap()
                .unwrap();
            let ok: bool = row.try_get("", "ok").unwrap();
            assert_eq!(ok, expected, "{text:?}");
        }
    }
    tx.commit().await.unwrap();
}

/// What one pass of autocomplete suggests for `text` among `kind` (the first pass, or the near
/// misses alone when `typos`), as the application role in tenant `tenant`: the ids, sorted.
async fn suggested_ids(
    app: &TestApp,
    tenant: uuid::Uuid,
    kind: &str,
    text: &str,
    typos: bool,
) -> Vec<String> {
    use relais_store::ConnectionTrait;
    let tx = app
        .db
        .tenant_tx(relais_domain::TenantId(tenant))
        .await
        .unwrap();
    let rows = tx
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "SELECT record_id::text AS id FROM autocomplete_ids($1, $2, $3, 10, 50, NULL, NULL)",
            [kind.into(), text.into(), typos.into()],
        ))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut ids: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String>("", "id").unwrap())
        .collect();
    ids.sort();
    ids
}

fn sorted(ids: &[&String]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

#[tokio::test]
async fn texts_of_several_words_match_later_words_in_order() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let other = app.create_tenant("other").await;
    let tok = &t.admin.token;
    let later = org(&app, tok, json!({"name": "Cabinet Garnier Gestion Privée"})).await;
    let starts = org(&app, tok, json!({"name": "Garnier Gestion Privée"})).await;
    let punctuated = org(
        &app,
        tok,
        json!({"name": "Cabinet Garnier, Gestion-Privée"}),
    )
    .await;
    let longer_word = org(
        &app,
        tok,
        json!({"name": "Cabinet Garnier Gestionnaires Privés"}),
    )
    .await;
    let other_order = org(&app, tok, json!({"name": "Cabinet Privée Gestion Garnier"})).await;
    let apart = org(
        &app,
        tok,
        json!({"name": "Cabinet Garnier et Gestion Privée"}),
    )
    .await;
    let privilege = org(&app, tok, json!({"name": "Cabinet Gestion Privilège"})).await;
    let middle = person(
        &app,
        tok,
        json!({"first_name": "Marie Jean", "last_name": "Martin"}),
    )
    .await;
    person(
        &app,
        tok,
        json!({"first_name": "Jean", "last_name": "Martin"}),
    )
    .await;
    // The same name in another tenant is never suggested.
    org(
        &app,
        &other.admin.token,
        json!({"name": "Cabinet Garnier Gestion Privée"}),
    )
    .await;

    // Every word but the last whole and in order, the last a prefix of any length.
    let text_sets: [(&str, Vec<&String>); 7] = [
        ("garnier gestion privee", vec![&later, &starts, &punctuated]),
        ("GARNIER GESTION PRIVÉE", vec![&later, &starts, &punctuated]),
        ("garnier gestion p", vec![&later, &starts, &punctuated]),
        (
            "garnier ges",
            vec![&later, &starts, &punctuated, &longer_word],
        ),
        ("gestion privee", vec![&later, &starts, &punctuated, &apart]),
        // Three letters are indexed; the fourth and later are checked on the row.
        ("gestion privi", vec![&privilege]),
        ("garnier gestion privees", vec![]),
    ];
    for (text, expected) in text_sets {
        assert_eq!(
            suggested_ids(&app, t.id, "organisation", text, false).await,
            sorted(&expected),
            "{text:?}"
        );
    }
    assert!(
        suggested_ids(&app, t.id, "organisation", "privee garnier", false)
            .await
            .is_empty()
    );
    assert_eq!(
        suggested_ids(&app, t.id, "organisation", "gestion garnier", false).await,
        [other_order]
    );
    // A later word of a person's name: the second first name.
    assert_eq!(
        suggested_ids(&app, t.id, "person", "jean mar", false)
            .await
            .len(),
        2,
        "Jean Martin starts with it, Marie Jean Martin has it later"
    );
    assert!(
        suggested_ids(&app, t.id, "person", "jean mar", false)
            .await
            .contains(&middle)
    );
    assert!(
        !suggested_ids(&app, t.id, "person", "jean mo", false)
            .await
            .contains(&middle)
    );

    // Through the API, the same names come first.
    let res = suggest(&app, tok, "garnier gestion priv").await;
    let ids = suggestion_ids(&res);
    assert_eq!(
        ids[0], starts,
        "the name that starts with the text first: {res}"
    );
    assert!(
        ids[..3].contains(&later) && ids[..3].contains(&punctuated),
        "{res}"
    );
}

#[tokio::test]
async fn a_statement_edit_that_does_not_fit_changes_nothing() {
    let app = spawn_app().await;
    let mut su = app.superuser().await;
    let before: String = sqlx::query_scalar("SELECT search_sql('interaction')")
        .fetch_one(&mut su)
        .await
        .unwrap();
    // The migrations' in-place edits (0028…): a text that is not there, or not as often as
    // said, is refused.
    for (old, count) in [("no such text", 1), ("search_vector", 1)] {
        let err =
            sqlx::query("SELECT relais_search_edit_function('search_sql(text)', $1, 'x', $2)")
                .bind(old)
                .bind(count)
                .execute(&mut su)
                .await
                .unwrap_err();
        assert!(err.to_string().contains("time(s), not"), "{err}");
    }
    let after: String = sqlx::query_scalar("SELECT search_sql('interaction')")
        .fetch_one(&mut su)
        .await
        .unwrap();
    assert_eq!(before, after);
}

/// How many times autocomplete's first pass for organisations runs its statement for `q`.
async fn first_pass_statements(conn: &mut sqlx::PgConnection, q: &str) -> i64 {
    // The view also shows calls of earlier transactions not yet reported: the difference.
    let calls = "SELECT coalesce(sum(calls), 0)::int8 FROM pg_stat_xact_user_functions \
                 WHERE funcname = 'relais_autocomplete_organisation_ids'";
    sqlx::query("BEGIN").execute(&mut *conn).await.unwrap();
    let before: i64 = sqlx::query_scalar(calls)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    sqlx::query(
        "SELECT count(*) FROM autocomplete_ids('organisation', $1, false, 10, 50, NULL, NULL)",
    )
    .bind(q)
    .execute(&mut *conn)
    .await
    .unwrap();
    let after: i64 = sqlx::query_scalar(calls)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    sqlx::query("ROLLBACK").execute(&mut *conn).await.unwrap();
    after - before
}

/// That a plan reads the eighth's index `head` first, then the whole index `whole` for the rest.
fn assert_reads_head_first(plan: &str, head: &str, whole: &str) {
    let (h, w) = (plan.find(head), plan.find(whole));
    assert!(h.is_some() && w.is_some() && h < w, "{plan}");
}

/// The plan of the statements `search_ids()` would run for `q` among records of `kind`: the
/// whole tenant's, or the records of `owner` (an own scope).
async fn search_plan_of(
    conn: &mut sqlx::PgConnection,
    kind: &str,
    q: &str,
    owner: Option<Uuid>,
) -> String {
    let owner = owner.map_or("NULL".to_owned(), |o| format!("'{o}'"));
    plan(
        conn,
        &format!(
            "SELECT * FROM search_plan('{kind}', '{q}', false, 10, 100, {owner}, NULL, NULL, \
             NULL, NULL, NULL, NULL)"
        ),
    )
    .await
}

/// `VACUUM ANALYZE` of `table`, then the copy of the planner's statistics that the job worker
/// makes every hour (`relais_search_refresh_frequencies()`, migrations 0028 and 0035).
async fn analyze_and_copy_statistics(app: &TestApp, su: &mut sqlx::PgConnection, table: &str) {
    sqlx::query(sqlx::AssertSqlSafe(format!("VACUUM ANALYZE {table}")))
        .execute(&mut *su)
        .await
        .unwrap();
    relais_store::search::refresh_word_frequencies(&app.db)
        .await
        .unwrap();
}

/// Takes the owner role (which the search functions run as) within `tenant`.
async fn as_owner_in(conn: &mut sqlx::PgConnection, tenant: Uuid) {
    sqlx::query("SET ROLE relais_owner")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("SELECT set_config('app.tenant_id', $1, false)")
        .bind(tenant.to_string())
        .execute(&mut *conn)
        .await
        .unwrap();
}

/// Whether the split statement pays for `q`, by the check `sql` (one boolean, `q` as `$1`).
async fn pays_for(conn: &mut sqlx::PgConnection, sql: &str, q: &str) -> bool {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(q)
        .fetch_one(conn)
        .await
        .unwrap()
}

/// `search_ids()`'s candidates for `q` among the whole tenant's records of `kind`: how many have
/// an id in the eighth read first, how many in all, how many distinct.
async fn eighth_candidates(conn: &mut sqlx::PgConnection, kind: &str, q: &str) -> (i64, i64, i64) {
    sqlx::query_as(
        "SELECT count(*) FILTER (WHERE get_byte(uuid_send(record_id), 15) < 32), count(*), \
         count(DISTINCT record_id) \
         FROM search_ids($1, $2, false, 10, 100, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
    )
    .bind(kind)
    .bind(q)
    .fetch_one(conn)
    .await
    .unwrap()
}

#[tokio::test]
async fn words_and_names_of_middling_frequency_read_an_eighth_first() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let other = app.create_tenant("other").await;
    let mut su = app.superuser().await;
    // 76,000 organisations in acme, 4,000 in the other tenant. In acme 1,520 are "Dupuis" (2 %
    // of all rows: a common word, not a dense one), only 38 of them with an id in the eighth
    // read first (last byte 0x05; 0xc8 outside it); a quarter of all are in Paris (dense).
    for (tenant, owner, n) in [
        (t.id, t.admin.id, 76_000),
        (other.id, other.admin.id, 4_000),
    ] {
        sqlx::query(
            "INSERT INTO organisations (tenant_id, id, name, type, city, owner_id)
             SELECT $1, (substr(md5($1::text || i), 1, 30)
                         || CASE WHEN dupuis AND (i / 50) % 40 = 0 OR NOT dupuis AND i % 8 = 0
                                 THEN '05' ELSE 'c8' END)::uuid,
                    CASE WHEN dupuis THEN 'Cabinet Dupuis ' || i ELSE 'Société ' || md5(i::text) END,
                    'investor', (ARRAY['Paris','Lyon','Nantes','Lille'])[1 + i % 4], $2
             FROM generate_series(1, $4) AS i, LATERAL (SELECT $3 AND i % 50 = 0 AS dupuis) d",
        )
        .bind(tenant)
        .bind(owner)
        .bind(tenant == t.id)
        .bind(n)
        .execute(&mut su)
        .await
        .unwrap();
    }
    sqlx::query("VACUUM ANALYZE organisations")
        .execute(&mut su)
        .await
        .unwrap();
    // Until the worker copies the planner's statistics, every look-up is the single one.
    let pays = "SELECT relais_search_head_pays('organisation', relais_search_loose_query($1))";
    let before: bool = sqlx::query_scalar(pays)
        .bind("Dupuis")
        .fetch_one(&mut su)
        .await
        .unwrap();
    assert!(!before);
    // What the job worker runs every hour, as the application role.
    let words = relais_store::search::refresh_word_frequencies(&app.db)
        .await
        .unwrap();
    assert!(words > 0);
    for (q, expected) in [
        ("Dupuis", true),
        // Dense: found by reading the table until a page matches.
        ("Paris", false),
        ("Société", false),
        // Two common words together: too few matches for the eighth to fill a page.
        ("Dupuis Paris", false),
        // Not among the common words: few matches, one look-up.
        ("Quimper", false),
        ("du", false),
    ] {
        assert_eq!(pays_for(&mut su, pays, q).await, expected, "{q}");
    }

    // Counts the candidate functions' calls (first-pass statements run, below).
    sqlx::query("SET track_functions = 'pl'")
        .execute(&mut su)
        .await
        .unwrap();
    as_owner_in(&mut su, t.id).await;
    let p = search_plan_of(&mut su, "organisation", "Dupuis", None).await;
    assert_reads_head_first(
        &p,
        "organisations_search_head_idx",
        "organisations_search_idx",
    );
    let p = search_plan_of(&mut su, "organisation", "Paris", None).await;
    assert!(!p.contains("organisations_search_head_idx"), "{p}");
    // An own scope: the owner-led index, one look-up.
    let p = search_plan_of(&mut su, "organisation", "Dupuis", Some(t.admin.id)).await;
    assert!(!p.contains("organisations_search_head_idx"), "{p}");
    // The candidates: the eighth's 38 first, the page completed from the rest.
    assert_eq!(
        eighth_candidates(&mut su, "organisation", "Dupuis").await,
        (38, 100, 100)
    );

    // A typo of that common name (0029): its correction's look-up reads the names' eighth
    // first too, chosen from the names' own statistics; a dense correction or none does not.
    let near_pays = "SELECT relais_search_head_pays('organisation name', \
                     relais_search_name_query(relais_search_norm($1)))";
    for (q, expected) in [("Dupuys", true), ("Sociétte", false), ("Quimpre", false)] {
        assert_eq!(pays_for(&mut su, near_pays, q).await, expected, "{q}");
    }
    let p = search_plan_of(&mut su, "organisation", "Dupuys", None).await;
    assert_reads_head_first(
        &p,
        "organisations_name_head_idx",
        "organisations_name_search_idx",
    );
    let p = plan(
        &mut su,
        "SELECT * FROM autocomplete_plan('organisation', 'Dupuys', true, 10, 50, NULL, NULL)",
    )
    .await;
    assert_reads_head_first(
        &p,
        "organisations_name_head_idx",
        "organisations_name_search_idx",
    );
    let p = plan(
        &mut su,
        &format!(
            "SELECT * FROM autocomplete_plan('organisation', 'Dupuys', true, 10, 50, '{}', NULL)",
            t.admin.id
        ),
    )
    .await;
    assert!(
        !p.contains("organisations_name_head_idx") && p.contains("organisations_name_search_idx"),
        "{p}"
    );
    // Search's second pass: the eighth's 38 Dupuis, then the rest up to the cap; the near
    // misses of autocomplete likewise, up to theirs (50).
    assert_eq!(
        eighth_candidates(&mut su, "organisation", "Dupuys").await,
        (38, 100, 100)
    );
    let near: (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE get_byte(uuid_send(record_id), 15) < 32), count(*), \
         count(DISTINCT record_id) \
         FROM autocomplete_ids('organisation', 'Dupuys', true, 10, 50, NULL, NULL)",
    )
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert_eq!(near, (38, 50, 50));
    // Autocomplete's first pass: a text no name can start with (the vocabulary has no word
    // starting with "dupuys") returns without running its statement; one that can, a short
    // one, or an e-mail runs it.
    for (q, runs) in [
        ("Dupuys", false),
        ("Cabinet Dupuys", false),
        ("Dupuis", true),
        ("Cabinet Dup", true),
        ("du", true),
        ("dupuys@exemple.fr", true),
    ] {
        assert_eq!(
            first_pass_statements(&mut su, q).await,
            i64::from(runs),
            "{q}"
        );
    }
    sqlx::query("RESET ROLE").execute(&mut su).await.unwrap();
    // The copied statistics hold words of every tenant: the application role cannot read them.
    sqlx::query("SET ROLE relais_app")
        .execute(&mut su)
        .await
        .unwrap();
    let err = sqlx::query("SELECT count(*) FROM search_word_frequencies")
        .execute(&mut su)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("permission denied"), "{err}");
    sqlx::query("RESET ROLE").execute(&mut su).await.unwrap();
    // Nor would a grant let it: only the owner role's policy exists.
    sqlx::query("GRANT SELECT ON search_word_frequencies TO relais_app")
        .execute(&mut su)
        .await
        .unwrap();
    sqlx::query("SET ROLE relais_app")
        .execute(&mut su)
        .await
        .unwrap();
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM search_word_frequencies")
        .fetch_one(&mut su)
        .await
        .unwrap();
    assert_eq!(seen, 0);
    sqlx::query("RESET ROLE").execute(&mut su).await.unwrap();
    sqlx::query("REVOKE SELECT ON search_word_frequencies FROM relais_app")
        .execute(&mut su)
        .await
        .unwrap();

    // Through the API: a page of Dupuis, the cap counted; none for the other tenant; "Dupuis
    // Paris" (a quarter of them) found whole, by the single look-up.
    let res = search(
        &app,
        &t.admin.token,
        &[("q", "Dupuis"), ("types", "organisation")],
    )
    .await;
    assert_eq!(group(&res, "organisation")["total"], 100, "{res}");
    assert_eq!(hits(&res, "organisation").len(), 10, "{res}");
    let res = search(
        &app,
        &t.admin.token,
        &[("q", "Dupuis Paris"), ("types", "organisation")],
    )
    .await;
    assert_eq!(group(&res, "organisation")["total"], 100, "{res}");
    let res = search(&app, &other.admin.token, &[("q", "Dupuis")]).await;
    assert!(hits(&res, "organisation").is_empty(), "{res}");
    // The typo through the API: the second pass's page, and near misses to suggest.
    let res = search(
        &app,
        &t.admin.token,
        &[("q", "Dupuys"), ("types", "organisation")],
    )
    .await;
    assert_eq!(group(&res, "organisation")["total"], 100, "{res}");
    let found = hits(&res, "organisation");
    assert_eq!(found.len(), 10, "{res}");
    let res = suggest(&app, &t.admin.token, "Dupuys").await;
    let labels: Vec<&str> = res["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels.len(), 10, "{res}");
    assert!(
        labels.iter().all(|l| l.starts_with("Cabinet Dupuis ")),
        "{res}"
    );
    let res = suggest(&app, &other.admin.token, "Dupuys").await;
    assert!(suggestion_ids(&res).is_empty(), "{res}");

    // With a page of matches in the eighth, the rest is not read: 200 more Dupuis, all in it.
    sqlx::query(
        "INSERT INTO organisations (tenant_id, id, name, type, owner_id)
         SELECT $1, (substr(md5('more' || i), 1, 30) || '07')::uuid, 'Dupuis Frères ' || i,
                'investor', $2
         FROM generate_series(1, 200) AS i",
    )
    .bind(t.id)
    .bind(t.admin.id)
    .execute(&mut su)
    .await
    .unwrap();
    sqlx::query("SET ROLE relais_owner")
        .execute(&mut su)
        .await
        .unwrap();
    assert_eq!(
        eighth_candidates(&mut su, "organisation", "Dupuis").await,
        (100, 100, 100)
    );
    sqlx::query("RESET ROLE").execute(&mut su).await.unwrap();
}

#[tokio::test]
async fn interactions_words_of_middling_frequency_read_an_eighth_first() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let other = app.create_tenant("other").await;
    let mut su = app.superuser().await;
    // 40,000 interactions in acme, 2,000 in the other tenant. In acme "patrimoine" is in 6 %
    // of them (common, not dense), half of those with an id in the eighth read first (last
    // byte 0x05; 0xc8 outside it); "gestion" is in 30 % (dense).
    for (tenant, author, n) in [
        (t.id, t.admin.id, 40_000),
        (other.id, other.admin.id, 2_000),
    ] {
        sqlx::query(
            "WITH o AS (INSERT INTO organisations (tenant_id, id, name, type, owner_id)
                        VALUES ($1, gen_random_uuid(), 'Cabinet Suivi', 'investor', $2)
                        RETURNING id)
             INSERT INTO interactions (tenant_id, id, kind, author_id, summary, organisation_id)
             SELECT $1, (substr(md5($1::text || i), 1, 30)
                         || CASE WHEN i % 8 = 0 THEN '05' ELSE 'c8' END)::uuid,
                    'call', $2,
                    CASE WHEN i % 32 IN (0, 1) THEN 'Bilan patrimoine ' || i
                         WHEN i % 10 < 3 THEN 'Point gestion ' || i
                         ELSE 'Appel ' || md5(i::text) END,
                    o.id
             FROM o, generate_series(1, $3) AS i",
        )
        .bind(tenant)
        .bind(author)
        .bind(n)
        .execute(&mut su)
        .await
        .unwrap();
    }
    analyze_and_copy_statistics(&app, &mut su, "interactions").await;
    let pays = "SELECT relais_search_head_pays('interaction', relais_search_loose_query($1))";
    for (q, expected) in [
        ("patrimoine", true),
        // Dense: read in order until a page matches.
        ("gestion", false),
        // Not among the common words: one look-up.
        ("Quimper", false),
    ] {
        assert_eq!(pays_for(&mut su, pays, q).await, expected, "{q}");
    }

    as_owner_in(&mut su, t.id).await;
    let p = search_plan_of(&mut su, "interaction", "patrimoine", None).await;
    assert!(p.contains("interactions_search_head_idx"), "{p}");
    let p = search_plan_of(&mut su, "interaction", "gestion", None).await;
    assert!(!p.contains("interactions_search_head_idx"), "{p}");
    // An own scope keeps one look-up.
    let p = search_plan_of(&mut su, "interaction", "patrimoine", Some(t.admin.id)).await;
    assert!(!p.contains("interactions_search_head_idx"), "{p}");
    // The candidates: a page from the eighth for the common word; the dense word's first
    // matches in the table's order, of which only some are in the eighth.
    assert_eq!(
        eighth_candidates(&mut su, "interaction", "patrimoine").await,
        (100, 100, 100)
    );
    let counts = eighth_candidates(&mut su, "interaction", "gestion").await;
    assert!(
        counts.0 < 100 && counts.1 == 100 && counts.2 == 100,
        "{counts:?}"
    );
    sqlx::query("RESET ROLE").execute(&mut su).await.unwrap();

    // Through the API: a page, the cap counted, each hit a "patrimoine"; the other tenant's
    // 125 matches stay its own.
    let res = search(
        &app,
        &t.admin.token,
        &[("q", "patrimoine"), ("types", "interaction")],
    )
    .await;
    assert_eq!(group(&res, "interaction")["total"], 100, "{res}");
    let items = group(&res, "interaction")["items"].as_array().unwrap();
    assert_eq!(items.len(), 10, "{res}");
    assert!(
        items.iter().all(|h| h["title"]
            .as_str()
            .unwrap()
            .starts_with("Bilan patrimoine ")),
        "{res}"
    );
    let ours = hits(&res, "interaction");
    let res = search(
        &app,
        &other.admin.token,
        &[("q", "patrimoine"), ("types", "interaction")],
    )
    .await;
    assert_eq!(group(&res, "interaction")["total"], 100, "{res}");
    assert!(
        hits(&res, "interaction")
            .iter()
            .all(|id| !ours.contains(id)),
        "{res}"
    );
}

#[tokio::test]
async fn a_common_later_word_reads_the_tenants_own_names_in_order() {
    let app = spawn_app().await;
    let big = app.create_tenant("grand").await;
    let small = app.create_tenant("petit").await;
    let mut su = app.superuser().await;
    // 30,000 organisations in the big tenant, then 2,000 in the small one (its rows after the
    // big tenant's in the table); in both, 10 % have "paris" as a later word.
    for (tenant, owner, n) in [
        (big.id, big.admin.id, 30_000),
        (small.id, small.admin.id, 2_000),
    ] {
        sqlx::query(
            "INSERT INTO organisations (tenant_id, id, name, type, owner_id)
             SELECT $1, gen_random_uuid(),
                    CASE WHEN i % 10 = 0 THEN 'Agence Paris ' || i
                         ELSE 'Société ' || md5(i::text) END,
                    'investor', $2
             FROM generate_series(1, $3) AS i",
        )
        .bind(tenant)
        .bind(owner)
        .bind(n)
        .execute(&mut su)
        .await
        .unwrap();
    }
    sqlx::query("VACUUM ANALYZE organisations")
        .execute(&mut su)
        .await
        .unwrap();
    for tenant in [small.id, big.id] {
        as_owner_in(&mut su, tenant).await;
        // Both the names starting with the text and the later words through one of the
        // tenant's prefix indexes, the id read from it, not every tenant's trigram matches
        // (migration 0031).
        let p = plan(
            &mut su,
            "SELECT * FROM autocomplete_plan('organisation', 'paris', false, 10, 50, NULL, NULL)",
        )
        .await;
        assert_eq!(
            p.matches("Index Only Scan using organisations_").count(),
            2,
            "{p}"
        );
        assert!(!p.contains("organisations_name_trgm_idx"), "{p}");
    }
    // One user's records: a prefix index too, read index-only, for both.
    let p = plan(
        &mut su,
        &format!(
            "SELECT * FROM autocomplete_plan('organisation', 'paris', false, 10, 50, '{}', NULL)",
            big.admin.id
        ),
    )
    .await;
    assert_eq!(
        p.matches("Index Only Scan using organisations_").count(),
        2,
        "{p}"
    );
    assert!(!p.contains("organisations_name_trgm_idx"), "{p}");
    // A team's records: the tenant's prefix index, in the names' order (migration 0037), never
    // the owner-led one, which would read owner after owner (the planner took whichever was
    // smaller when the statement asked for no order).
    let team = app.create_team(&big, "Ventes").await;
    let member = app
        .create_user(&big, "member@big.test", "user", Some(team))
        .await;
    // The tenant's prefix index left larger than the owner-led one (rows written and removed,
    // then only the owner-led index rebuilt): without an order, the owner-led one would win.
    sqlx::query("RESET ROLE").execute(&mut su).await.unwrap();
    for sql in [
        "INSERT INTO organisations (tenant_id, id, name, type, owner_id)
         SELECT $1, gen_random_uuid(), 'Bloat ' || md5(i::text), 'investor', $2
         FROM generate_series(1, 20000) AS i",
        "DELETE FROM organisations WHERE tenant_id = $1 AND name LIKE 'Bloat %' AND owner_id = $2",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(big.id)
            .bind(big.admin.id)
            .execute(&mut su)
            .await
            .unwrap();
    }
    for sql in [
        "VACUUM organisations",
        "REINDEX INDEX organisations_owner_name_prefix_idx",
    ] {
        sqlx::query(sql).execute(&mut su).await.unwrap();
    }
    let (tenant_pages, owner_pages): (i32, i32) = sqlx::query_as(
        "SELECT (SELECT relpages FROM pg_class WHERE relname = 'organisations_name_prefix_idx'),
                (SELECT relpages FROM pg_class WHERE relname = 'organisations_owner_name_prefix_idx')",
    )
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert!(tenant_pages > owner_pages, "{tenant_pages} {owner_pages}");
    as_owner_in(&mut su, big.id).await;
    let p = plan(
        &mut su,
        &format!(
            "SELECT * FROM autocomplete_plan('organisation', 'paris', false, 10, 50, '{}', \
             '{team}')",
            member.id
        ),
    )
    .await;
    assert_eq!(
        p.matches("Index Only Scan using organisations_name_prefix_idx")
            .count(),
        2,
        "{p}"
    );
    assert!(
        !p.contains("organisations_owner_name_prefix_idx") && !p.contains("Sort"),
        "{p}"
    );
    sqlx::query("RESET ROLE").execute(&mut su).await.unwrap();
    // Through the API: the small tenant's own "Agence Paris" names only.
    let res = suggest(&app, &small.admin.token, "paris").await;
    let labels: Vec<&str> = res["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels.len(), 10, "{res}");
    assert!(
        labels.iter().all(|l| l.starts_with("Agence Paris ")),
        "{res}"
    );
    let theirs = suggestion_ids(&suggest(&app, &big.admin.token, "paris").await);
    assert!(
        suggestion_ids(&res).iter().all(|id| !theirs.contains(id)),
        "{res}"
    );
}

#[tokio::test]
async fn one_users_common_word_reads_their_rows_in_order() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let alice = app.create_user(&t, "alice@acme.test", "user", None).await;
    let owner = alice.id;
    let mut su = app.superuser().await;
    // 20,000 organisations, one in 20 owned by Alice: a quarter in Paris (a dense word), one in
    // 50 "Dupuis" (2 %).
    sqlx::query(
        "INSERT INTO organisations (tenant_id, id, name, type, city, owner_id)
         SELECT $1, gen_random_uuid(),
                CASE WHEN i % 50 = 0 THEN 'Cabinet Dupuis ' || i ELSE 'Société ' || md5(i::text) END,
                'investor', (ARRAY['Paris','Lyon','Nantes','Lille'])[1 + i % 4],
                CASE WHEN (i / 7) % 20 = 0 THEN $2 ELSE $3 END
         FROM generate_series(1, 20000) AS i",
    )
    .bind(t.id)
    .bind(owner)
    .bind(t.admin.id)
    .execute(&mut su)
    .await
    .unwrap();
    analyze_and_copy_statistics(&app, &mut su, "organisations").await;
    let dense = "SELECT relais_search_dense('organisation', relais_search_loose_query($1))";
    for (q, expected) in [
        ("Paris", true),
        ("Dupuis", false),
        // Several words: their share together is a guess, the index is kept.
        ("Dupuis Paris", false),
        ("Quimper", false),
        ("du", false),
    ] {
        assert_eq!(pays_for(&mut su, dense, q).await, expected, "{q}");
    }
    as_owner_in(&mut su, t.id).await;
    // One user's records (migration 0034): the common word through their rows in order, no
    // bitmap of the word's matches; the rarer one through the owner-keyed text index (0036).
    let p = search_plan_of(&mut su, "organisation", "Paris", Some(owner)).await;
    assert!(
        !p.contains("Bitmap Index Scan on organisations_search_idx"),
        "{p}"
    );
    let words = p
        .lines()
        .skip_while(|l| !l.contains("CTE words"))
        .nth(2)
        .unwrap_or_default();
    assert!(
        words.contains("Seq Scan on organisations") || words.contains("Index Scan using"),
        "{p}"
    );
    let p = search_plan_of(&mut su, "organisation", "Dupuis", Some(owner)).await;
    assert!(
        p.contains("Bitmap Index Scan on organisations_search_owner_idx"),
        "{p}"
    );
    // With a filter, the common word too: a rare city would have every row of the user read.
    let p = plan(
        &mut su,
        &format!(
            "SELECT * FROM search_plan('organisation', 'Paris', false, 10, 100, '{owner}', NULL, \
             NULL, NULL, 'Lyon', NULL, NULL)"
        ),
    )
    .await;
    assert!(
        p.contains("Bitmap Index Scan on organisations_search_owner_idx"),
        "{p}"
    );
    // The whole tenant's look-up is the planner's own choice, bitmaps allowed.
    let p = search_plan_of(&mut su, "organisation", "Paris", None).await;
    assert!(!p.contains("enable_bitmapscan"), "{p}");
    // The ordered look-up finds a page of the user's matches.
    let (found, in_paris): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE o.city = 'Paris' AND o.owner_id = $1)
         FROM search_ids('organisation', 'Paris', false, 10, 100, $1, NULL, NULL, NULL, NULL,
                         NULL, NULL) s
         JOIN organisations o ON o.id = s.record_id",
    )
    .bind(owner)
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert_eq!((found, in_paris), (100, 100));
    sqlx::query("RESET ROLE").execute(&mut su).await.unwrap();
    // End to end, as the user sees it.
    let res = search(
        &app,
        &t.admin.token,
        &[("q", "paris"), ("types", "organisation")],
    )
    .await;
    assert_eq!(hits(&res, "organisation").len(), 10, "{res}");
}

/// Calls of the generic-plan candidate functions (`relais_search_*_ids_generic`, migration
/// 0035) made by `search_ids()` for `q` among the organisations of `owner` (or the whole
/// tenant), with the city filter `city`. Needs `track_functions`.
async fn generic_calls(
    conn: &mut sqlx::PgConnection,
    q: &str,
    owner: Option<Uuid>,
    city: Option<&str>,
) -> (i64, i64) {
    let calls = "SELECT coalesce(sum(calls), 0)::int8 FROM pg_stat_xact_user_functions \
                 WHERE funcname ~ '^relais_search_([a-z]+_)*[a-z]+_ids_generic$'";
    sqlx::query("BEGIN").execute(&mut *conn).await.unwrap();
    let before: i64 = sqlx::query_scalar(calls)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let found: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM search_ids('organisation', $1, false, 10, 100, $2, NULL, NULL, \
         NULL, $3, NULL, NULL)",
    )
    .bind(q)
    .bind(owner)
    .bind(city)
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    let after: i64 = sqlx::query_scalar(calls)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    sqlx::query("ROLLBACK").execute(&mut *conn).await.unwrap();
    (after - before, found)
}

#[tokio::test]
async fn a_dominant_tenants_whole_tenant_search_keeps_one_plan() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let other = app.create_tenant("other").await;
    let mut su = app.superuser().await;
    // 20,000 organisations in acme, 80 of them "Dupuis" (0.4 %), a quarter in Paris (dense);
    // 1,000 in the other tenant, 100 of them "Dupuis".
    for (tenant, owner, n, every) in [
        (t.id, t.admin.id, 20_000, 250),
        (other.id, other.admin.id, 1_000, 10),
    ] {
        sqlx::query(
            "INSERT INTO organisations (tenant_id, id, name, type, city, owner_id)
             SELECT $1, gen_random_uuid(),
                    CASE WHEN i % $4 = 0 THEN 'Cabinet Dupuis ' || i ELSE 'Société ' || md5(i::text) END,
                    'investor', (ARRAY['Paris','Lyon','Nantes','Lille'])[1 + i % 4], $2
             FROM generate_series(1, $3) AS i",
        )
        .bind(tenant)
        .bind(owner)
        .bind(n)
        .bind(every)
        .execute(&mut su)
        .await
        .unwrap();
    }
    analyze_and_copy_statistics(&app, &mut su, "organisations").await;
    let dominant = "SELECT relais_search_dominant('organisation', $1)";
    for (tenant, expected) in [(t.id, true), (other.id, false)] {
        let d: bool = sqlx::query_scalar(dominant)
            .bind(tenant)
            .fetch_one(&mut su)
            .await
            .unwrap();
        assert_eq!(d, expected, "{tenant}");
    }
    sqlx::query("SET track_functions = 'pl'")
        .execute(&mut su)
        .await
        .unwrap();
    as_owner_in(&mut su, t.id).await;
    // The whole tenant, no filter, a word no denser than the bound: the generic statement,
    // which still keeps to the tenant (80 candidates, not the other tenant's 100 too).
    assert_eq!(generic_calls(&mut su, "Dupuis", None, None).await, (1, 80));
    // A dense word, an own scope, a filter: planned for the call, as before.
    assert_eq!(generic_calls(&mut su, "Paris", None, None).await, (0, 100));
    assert_eq!(
        generic_calls(&mut su, "Dupuis", Some(t.admin.id), None).await,
        (0, 80)
    );
    assert_eq!(
        generic_calls(&mut su, "Dupuis", None, Some("Nantes")).await,
        (0, 40)
    );
    // The other tenant holds too few of the rows: its look-ups keep their custom plans.
    as_owner_in(&mut su, other.id).await;
    assert_eq!(generic_calls(&mut su, "Dupuis", None, None).await, (0, 100));

    // The generic plan, whatever the values: the text index, the tenant as a filter only.
    sqlx::query("SET search_path = public, extensions")
        .execute(&mut su)
        .await
        .unwrap();
    sqlx::query(
        "SELECT set_config('plan_cache_mode', 'force_generic_plan', false),
                set_config('enable_seqscan', 'off', false),
                set_config('enable_indexscan', 'off', false)",
    )
    .execute(&mut su)
    .await
    .unwrap();
    let sql: String =
        sqlx::query_scalar("SELECT relais_search_generic_sql(search_sql('organisation'))")
            .fetch_one(&mut su)
            .await
            .unwrap();
    assert!(sql.contains("(o.tenant_id = $11) IS TRUE"), "{sql}");
    assert!(!sql.contains("o.tenant_id = $11 AND"), "{sql}");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "PREPARE generic (text, boolean, integer, uuid, uuid, text[], text[], text, timestamptz, \
         timestamptz, uuid, tsquery, text, text, text, integer, text, tsquery) AS {sql}"
    )))
    .execute(&mut su)
    .await
    .unwrap();
    let p = plan(
        &mut su,
        &format!(
            "EXPLAIN EXECUTE generic('Dupuis', false, 100, NULL, NULL, NULL, NULL, NULL, NULL, \
             NULL, '{}', relais_search_loose_query('Dupuis'), 'dupuis', 'dupuis', '%dupuis%', \
             10, 'DUPUIS', NULL)",
            t.id
        ),
    )
    .await;
    assert!(
        p.contains("Bitmap Index Scan on organisations_search_idx"),
        "{p}"
    );
    assert!(
        !p.contains("organisations_pkey") && !p.contains("Seq Scan on organisations"),
        "{p}"
    );
    sqlx::query("DEALLOCATE generic")
        .execute(&mut su)
        .await
        .unwrap();
    sqlx::query("RESET ROLE").execute(&mut su).await.unwrap();

    // End to end, as the user sees it: acme's own matches, counted exactly.
    let res = search(
        &app,
        &t.admin.token,
        &[("q", "dupuis"), ("types", "organisation")],
    )
    .await;
    assert_eq!(group(&res, "organisation")["total"], 80, "{res}");
    assert_eq!(hits(&res, "organisation").len(), 10, "{res}");
}

#[tokio::test]
async fn own_scopes_and_small_tenants_read_the_owner_keyed_index() {
    let app = spawn_app().await;
    let t = app.create_tenant("acme").await;
    let other = app.create_tenant("other").await;
    let team = app.create_team(&t, "Paris").await;
    let alice = app
        .create_user(&t, "alice@acme.test", "user", Some(team))
        .await;
    let bob = app
        .create_user(&t, "bob@acme.test", "user", Some(team))
        .await;
    let carol = app.create_user(&t, "carol@acme.test", "user", None).await;
    let mut su = app.superuser().await;
    // 4,000 people in acme: alice, bob, carol and the admin own a quarter each; one in 40 of
    // theirs is a "Dupuis" (25 each). The other tenant's 1,000 are all "Dupuis".
    sqlx::query(
        "INSERT INTO people (tenant_id, id, first_name, last_name, owner_id)
         SELECT $1, gen_random_uuid(), 'Jean',
                CASE WHEN i % 160 < 4 THEN 'Dupuis' ELSE 'Nom' || md5(i::text) END,
                ($2::uuid[])[1 + i % 4]
         FROM generate_series(0, 3999) AS i",
    )
    .bind(t.id)
    .bind(vec![alice.id, bob.id, carol.id, t.admin.id])
    .execute(&mut su)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO people (tenant_id, id, first_name, last_name, owner_id)
         SELECT $1, gen_random_uuid(), 'Jean', 'Dupuis', $2 FROM generate_series(1, 1000)",
    )
    .bind(other.id)
    .bind(other.admin.id)
    .execute(&mut su)
    .await
    .unwrap();
    sqlx::query("VACUUM ANALYZE people")
        .execute(&mut su)
        .await
        .unwrap();
    // A record's words under its owner's key; a query's under each owner's.
    let keyed: String = sqlx::query_scalar(
        "SELECT relais_search_owner_vector($1, to_tsvector('relais_french', 'Jean Dupuis'))::text",
    )
    .bind(alice.id)
    .fetch_one(&mut su)
    .await
    .unwrap();
    let key: String = sqlx::query_scalar("SELECT relais_search_owner_key($1)")
        .bind(alice.id)
        .fetch_one(&mut su)
        .await
        .unwrap();
    assert_eq!(keyed, format!("'{key}.dupuis' '{key}.jean'"));
    let q: String = sqlx::query_scalar(
        "SELECT relais_search_owner_query(ARRAY[$1, $2]::uuid[], 'dupuis'::tsquery)::text",
    )
    .bind(alice.id)
    .bind(bob.id)
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert!(
        q.contains(&format!("'{key}.dupuis'")) && q.contains(" | "),
        "{q}"
    );

    as_owner_in(&mut su, t.id).await;
    let candidates = "SELECT count(*) FROM search_ids('person', 'Dupuis', false, 10, 100, $1, \
                      $2, NULL, NULL, NULL, NULL, NULL)";
    for (user, team, expected) in [
        // Alice's own: her 25.
        (Some(alice.id), None, 25),
        // Bob with his team: Alice's and his, not Carol's nor the admin's.
        (Some(bob.id), Some(team), 50),
        // Carol, in no team: hers.
        (Some(carol.id), None, 25),
        // The whole tenant: the index of the words, every owner, not the other tenant.
        (None, None, 100),
    ] {
        let n: i64 = sqlx::query_scalar(candidates)
            .bind(user)
            .bind(team)
            .fetch_one(&mut su)
            .await
            .unwrap();
        assert_eq!(n, expected, "{user:?} {team:?}");
    }
    // Alice's own: the keyed index alone. Bob's team: the owner-led and eighth-first
    // look-ups, as before (under each member's key a word costs as much as before).
    for (user, team, keyed) in [(alice.id, None, true), (bob.id, Some(team), false)] {
        let team = team.map_or("NULL".to_owned(), |t| format!("'{t}'"));
        let p = plan(
            &mut su,
            &format!(
                "SELECT * FROM search_plan('person', 'Dupuis', false, 10, 100, '{user}', {team}, \
                 NULL, NULL, NULL, NULL, NULL)"
            ),
        )
        .await;
        assert_eq!(
            p.contains("Bitmap Index Scan on people_search_owner_idx"),
            keyed,
            "{p}"
        );
        if keyed {
            assert!(
                !p.contains("on people_search_idx")
                    && !p.contains("on people_owner_idx")
                    && !p.contains("Gather"),
                "{p}"
            );
        }
    }
    sqlx::query("RESET ROLE").execute(&mut su).await.unwrap();

    // A small tenant's whole records (it holds a fifth of the rows, by the copied statistics):
    // the keyed index under every user's key and the tenant's, which keys the records without
    // an owner; the tenant holding most rows keeps the text index.
    sqlx::query(
        "INSERT INTO people (tenant_id, id, first_name, last_name, owner_id)
         SELECT $1, gen_random_uuid(), CASE WHEN i <= 5 THEN 'Zébulon' ELSE 'Quentin' END,
                CASE WHEN i <= 5 THEN 'Sansmaître' ELSE 'Tarentule' END,
                CASE WHEN i <= 5 THEN NULL ELSE $2::uuid END
         FROM generate_series(1, 13) AS i",
    )
    .bind(other.id)
    .bind(other.admin.id)
    .execute(&mut su)
    .await
    .unwrap();
    sqlx::query("ANALYZE people")
        .execute(&mut su)
        .await
        .unwrap();
    relais_store::search::refresh_word_frequencies(&app.db)
        .await
        .unwrap();
    for (tenant, q, expected, keyed) in [
        (other.id, "Tarentule", 8, true),
        (other.id, "zebulon sansmaitre", 5, true),
        // A dense word (a fifth of all people): the tenant's rows in order, as before.
        (other.id, "Dupuis", 100, false),
        (t.id, "Tarentule", 0, false),
        (t.id, "Dupont", 0, false),
    ] {
        as_owner_in(&mut su, tenant).await;
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM search_ids('person', $1, false, 10, 100, NULL, NULL, NULL, \
             NULL, NULL, NULL, NULL)",
        )
        .bind(q)
        .fetch_one(&mut su)
        .await
        .unwrap();
        assert_eq!(n, expected, "{tenant} {q}");
        let p = search_plan_of(&mut su, "person", q, None).await;
        assert_eq!(
            p.contains("Bitmap Index Scan on people_search_owner_idx"),
            keyed,
            "{tenant} {q}: {p}"
        );
    }
    sqlx::query("RESET ROLE").execute(&mut su).await.unwrap();
    let res = search(
        &app,
        &other.admin.token,
        &[("q", "zébulon"), ("types", "person")],
    )
    .await;
    assert_eq!(group(&res, "person")["total"], 5, "{res}");

    // End to end: Alice sees her own Dupuis, counted exactly; a write is found at once.
    let res = search(&app, &alice.token, &[("q", "dupuis"), ("types", "person")]).await;
    assert_eq!(group(&res, "person")["total"], 25, "{res}");
    let id = person(
        &app,
        &alice.token,
        json!({"first_name": "Marie", "last_name": "Dupuis"}),
    )
    .await;
    let res = search(&app, &alice.token, &[("q", "dupuis"), ("types", "person")]).await;
    assert_eq!(group(&res, "person")["total"], 26, "{res}");
    let res = search(
        &app,
        &alice.token,
        &[("q", "marie dupuis"), ("types", "person")],
    )
    .await;
    assert_eq!(hits(&res, "person"), [id], "{res}");
    // Bob's own scope does not see it.
    let res = search(
        &app,
        &bob.token,
        &[("q", "marie dupuis"), ("types", "person")],
    )
    .await;
    assert_eq!(total_hits(&res), 0, "{res}");
}
