//! Given/when/then tests of the dispatch rules, one group per rule of issue 20 item 3.

use chrono::{DateTime, TimeZone, Utc};

use super::*;

// --- given: telegrams -------------------------------------------------------------

/// 2026-12-06 09:00 JST plus `minutes`.
fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 6, 0, 0, 0).unwrap() + Duration::minutes(minutes)
}

fn city(code: &str, name: &str, max: Option<Intensity>) -> CityIntensity {
    CityIntensity {
        code: code.into(),
        name: name.into(),
        max,
        unreceived: false,
    }
}

fn area(code: &str, name: &str, max: Intensity, cities: Vec<CityIntensity>) -> AreaIntensity {
    AreaIntensity {
        code: code.into(),
        name: name.into(),
        max: Some(max),
        unreceived: false,
        cities,
    }
}

fn pref(code: &str, name: &str, areas: Vec<AreaIntensity>) -> PrefectureIntensity {
    PrefectureIntensity {
        code: code.into(),
        name: name.into(),
        max: areas.iter().filter_map(|a| a.max).max(),
        unreceived: false,
        areas,
    }
}

/// A 震度速報 of event `event` at minute `minute`: 東京都２３区 at `tokyo`, 多摩東部 4.
fn shindo(event: &str, minute: i64, tokyo: Intensity) -> Telegram {
    Telegram {
        kind: TelegramKind::Vxse51,
        title: "震度速報".into(),
        status: TelegramStatus::Normal,
        info_type: InfoType::Issued,
        event_id: event.into(),
        serial: "1".into(),
        report_time: at(minute),
        headline: "強い揺れを観測しました".into(),
        hypocentre: None,
        magnitude: None,
        max_intensity: Some(tokyo),
        prefectures: vec![pref(
            "13",
            "東京都",
            vec![
                area("350", "東京都２３区", tokyo, vec![]),
                area("351", "東京都多摩東部", Intensity::Four, vec![]),
            ],
        )],
    }
}

/// The VXSE53 that follows: Tokyo as before with a city, plus 神奈川県東部 with 横浜中区 at
/// `yokohama`.
fn detail(event: &str, minute: i64, yokohama: Intensity) -> Telegram {
    let mut telegram = shindo(event, minute, Intensity::FiveUpper);
    telegram.kind = TelegramKind::Vxse53;
    telegram.title = "震源・震度に関する情報".into();
    telegram.serial = "2".into();
    telegram.hypocentre = Some("東京湾".into());
    telegram.magnitude = Some("Ｍ６．１".into());
    telegram.prefectures[0].areas[0].cities =
        vec![city("1310100", "東京千代田区", Some(Intensity::FiveUpper))];
    telegram.prefectures.push(pref(
        "14",
        "神奈川県",
        vec![area(
            "360",
            "神奈川県東部",
            yokohama,
            vec![city("1410400", "横浜中区", Some(yokohama))],
        )],
    ));
    telegram
}

fn cancelled(event: &str, minute: i64) -> Telegram {
    Telegram {
        kind: TelegramKind::Vxse53,
        title: "震源・震度に関する情報".into(),
        info_type: InfoType::Cancelled,
        serial: "3".into(),
        headline: "先ほどの情報を取り消します".into(),
        max_intensity: None,
        prefectures: vec![],
        ..shindo(event, minute, Intensity::One)
    }
}

fn org(code: &str) -> OrgCode {
    OrgCode::parse(code).unwrap()
}

fn target(prefectures: &[&str], areas: &[&str], cities: &[&str], orgs: &[&str]) -> Target {
    Target {
        prefectures: prefectures.iter().map(|c| c.to_string()).collect(),
        areas: areas.iter().map(|c| c.to_string()).collect(),
        cities: cities.iter().map(|c| c.to_string()).collect(),
        orgs: orgs.iter().map(|c| org(c)).collect(),
    }
}

/// 震度5弱以上: 東京都２３区 → honsha; 横浜中区 → yokohama.
fn condition() -> Condition {
    Condition {
        name: "首都圏5弱".into(),
        min_intensity: Intensity::FiveLower,
        targets: vec![
            target(&[], &["350"], &[], &["honsha"]),
            target(&[], &[], &["1410400"], &["yokohama"]),
        ],
        drill_on_training: false,
        suppress_minutes: 0,
        delay_minutes: 0,
        title: DEFAULT_TITLE.into(),
    }
}

// --- when / then helpers -------------------------------------------------------------

fn when(given: &mut Evaluator, conditions: &[Condition], telegram: &Telegram) -> Vec<Decision> {
    given.evaluate(conditions, telegram, telegram.report_time)
}

fn one(decisions: Vec<Decision>) -> Decision {
    assert_eq!(decisions.len(), 1, "{decisions:#?}");
    decisions.into_iter().next().unwrap()
}

fn dispatched_orgs(decision: &Decision) -> Vec<String> {
    match decision {
        Decision::Dispatch { orgs, .. } => orgs.iter().map(|o| o.to_string()).collect(),
        other => panic!("expected a dispatch, got {other:#?}"),
    }
}

fn ignored(decision: &Decision) -> &str {
    match decision {
        Decision::Ignore { reason } => reason,
        other => panic!("expected ignore, got {other:#?}"),
    }
}

// --- intensity -----------------------------------------------------------------------

#[test]
fn intensities_are_ordered_and_read_in_every_form() {
    assert!(Intensity::Four < Intensity::FiveLower);
    assert!(Intensity::FiveLower < Intensity::FiveUpper);
    assert!(Intensity::SixUpper < Intensity::Seven);
    for (text, expected) in [
        ("5-", Intensity::FiveLower),
        ("5+", Intensity::FiveUpper),
        ("6-", Intensity::SixLower),
        ("6+", Intensity::SixUpper),
        ("7", Intensity::Seven),
        ("5弱", Intensity::FiveLower),
        ("震度5強", Intensity::FiveUpper),
        ("震度５弱", Intensity::FiveLower),
        ("６強", Intensity::SixUpper),
        (" ４ ", Intensity::Four),
        ("震度 ７", Intensity::Seven),
    ] {
        assert_eq!(Intensity::parse(text), Some(expected), "{text}");
    }
    for text in ["", "0", "8", "5", "5.5", "震度", "5弱以上", "over", "!5-"] {
        assert_eq!(Intensity::parse(text), None, "{text}");
    }
    assert_eq!(Intensity::from_code("5+"), Some(Intensity::FiveUpper));
    assert_eq!(Intensity::from_code("5強"), None);
    assert_eq!(Intensity::SixLower.label(), "6弱");
    assert_eq!(Intensity::SixLower.to_string(), "震度6弱");
}

#[test]
fn intensities_serialise_in_the_telegram_form_and_read_any_form() {
    assert_eq!(
        serde_json::to_string(&Intensity::FiveUpper).unwrap(),
        "\"5+\""
    );
    let read: Vec<Intensity> = serde_json::from_str(r#"["5弱", "6+", 4, "震度７"]"#).unwrap();
    assert_eq!(
        read,
        [
            Intensity::FiveLower,
            Intensity::SixUpper,
            Intensity::Four,
            Intensity::Seven
        ]
    );
    let error = serde_json::from_str::<Intensity>("\"5.5\"").unwrap_err();
    assert!(
        error.to_string().contains("震度「5.5」は読めません"),
        "{error}"
    );
}

#[test]
fn the_control_title_decides_the_kind() {
    assert_eq!(TelegramKind::from_title("震度速報"), TelegramKind::Vxse51);
    assert_eq!(
        TelegramKind::from_title("震源に関する情報"),
        TelegramKind::Vxse52
    );
    assert_eq!(
        TelegramKind::from_title(" 震源・震度に関する情報 "),
        TelegramKind::Vxse53
    );
    for title in [
        "緊急地震速報（警報）",
        "緊急地震速報（予報）",
        "緊急地震速報（地震動予報）",
        "緊急地震速報(警報)",
    ] {
        assert_eq!(
            TelegramKind::from_title(title),
            TelegramKind::EarlyWarning,
            "{title}"
        );
    }
    assert_eq!(
        TelegramKind::from_title("津波警報・注意報・予報a"),
        TelegramKind::Other("津波警報・注意報・予報a".into())
    );
}

// --- rule: intensity at or above the level in the chosen places ------------------------

#[test]
fn given_5_lower_when_the_chosen_area_reaches_5_lower_then_its_orgs_are_dispatched() {
    let mut given = Evaluator::new();
    let decision = one(when(
        &mut given,
        &[condition()],
        &shindo("20261206085800", 2, Intensity::FiveLower),
    ));
    let Decision::Dispatch {
        condition,
        event_id,
        orgs,
        mode,
        title,
        at: due,
        reason,
    } = decision
    else {
        panic!("expected a dispatch")
    };
    assert_eq!(condition, "首都圏5弱");
    assert_eq!(event_id, "20261206085800");
    assert_eq!(orgs, [org("honsha")]);
    assert_eq!(mode, Mode::Actual);
    assert_eq!(title, "東京都２３区で震度5弱の地震");
    assert_eq!(due, at(2));
    assert!(
        reason.contains("「震度速報」（EventID 20261206085800、情報番号1、2026-12-06 09:02 発表）"),
        "{reason}"
    );
    assert!(
        reason.contains("東京都２３区（震度5弱）で震度5弱以上"),
        "{reason}"
    );
    assert!(reason.contains("honsha"), "{reason}");
}

#[test]
fn given_5_lower_when_the_chosen_area_has_4_then_nothing_is_dispatched_and_the_reason_says_so() {
    let mut given = Evaluator::new();
    let decision = one(when(
        &mut given,
        &[condition()],
        &shindo("20261206085800", 2, Intensity::Four),
    ));
    let reason = ignored(&decision);
    assert!(
        reason.contains("最も大きいのは東京都２３区（震度4）で、震度5弱に達していない"),
        "{reason}"
    );
    // The level is "at or above": 5強 qualifies, as does a prefecture target.
    let prefecture = Condition {
        targets: vec![target(&["13"], &[], &[], &["tokyo"])],
        ..condition()
    };
    let decision = one(when(
        &mut Evaluator::new(),
        &[prefecture],
        &shindo("20261206085800", 2, Intensity::FiveUpper),
    ));
    assert_eq!(dispatched_orgs(&decision), ["tokyo"]);
}

#[test]
fn given_a_condition_on_an_area_the_telegram_does_not_name_then_nothing_is_dispatched() {
    let osaka = Condition {
        targets: vec![target(&["27"], &["520"], &[], &["osaka"])],
        ..condition()
    };
    let decision = one(when(
        &mut Evaluator::new(),
        &[osaka],
        &shindo("20261206085800", 2, Intensity::Seven),
    ));
    assert!(
        ignored(&decision).contains("この電文に対象地域の震度はない"),
        "{decision:?}"
    );
}

#[test]
fn given_a_city_target_when_only_the_shindo_sokuhou_came_then_only_the_vxse53_dispatches() {
    let yokohama = Condition {
        targets: vec![target(&[], &[], &["1410400"], &["yokohama"])],
        ..condition()
    };
    let mut given = Evaluator::new();
    let first = one(when(
        &mut given,
        std::slice::from_ref(&yokohama),
        &shindo("20261206085800", 2, Intensity::FiveUpper),
    ));
    ignored(&first);
    let second = one(when(
        &mut given,
        &[yokohama],
        &detail("20261206085800", 6, Intensity::FiveLower),
    ));
    assert_eq!(dispatched_orgs(&second), ["yokohama"]);
}

#[test]
fn given_a_city_with_an_unreceived_5_lower_or_more_then_it_counts_as_5_lower() {
    let mut telegram = detail("20261206085800", 6, Intensity::Four);
    telegram.prefectures[1].areas[0].cities[0] = CityIntensity {
        max: None,
        unreceived: true,
        ..city("1410400", "横浜中区", None)
    };
    let yokohama = Condition {
        targets: vec![target(&[], &[], &["1410400"], &["yokohama"])],
        ..condition()
    };
    let decision = one(when(
        &mut Evaluator::new(),
        std::slice::from_ref(&yokohama),
        &telegram,
    ));
    assert_eq!(dispatched_orgs(&decision), ["yokohama"]);
    let Decision::Dispatch { title, reason, .. } = &decision else {
        unreachable!()
    };
    assert_eq!(title, "横浜中区で震度5弱以上の地震");
    assert!(reason.contains("横浜中区（震度5弱以上未入電）"), "{reason}");
    // A 5強 condition is not met by it.
    let stronger = Condition {
        min_intensity: Intensity::FiveUpper,
        ..yokohama
    };
    ignored(&one(when(&mut Evaluator::new(), &[stronger], &telegram)));
}

// --- rule: one dispatch per EventID per condition; later telegrams only add -------------

#[test]
fn given_a_dispatch_when_the_same_event_comes_again_then_only_newly_qualifying_orgs_are_dispatched()
{
    let mut given = Evaluator::new();
    let first = one(when(
        &mut given,
        &[condition()],
        &shindo("20261206085800", 2, Intensity::FiveUpper),
    ));
    assert_eq!(dispatched_orgs(&first), ["honsha"]);

    // The VXSE53 adds 横浜中区 at 5弱: only yokohama is new.
    let second = one(when(
        &mut given,
        &[condition()],
        &detail("20261206085800", 6, Intensity::FiveLower),
    ));
    assert_eq!(dispatched_orgs(&second), ["yokohama"]);
    assert!(
        second.reason().contains("新たに対象となった組織 yokohama"),
        "{second:?}"
    );
    // Its title names the place that qualified yokohama, the reason every place.
    let Decision::Dispatch { title, reason, .. } = &second else {
        unreachable!()
    };
    assert_eq!(title, "横浜中区で震度5弱の地震");
    assert!(
        reason.contains("東京都２３区（震度5強）、横浜中区（震度5弱）で震度5弱以上"),
        "{reason}"
    );

    // The same again: nothing new.
    let third = one(when(
        &mut given,
        &[condition()],
        &detail("20261206085800", 9, Intensity::FiveUpper),
    ));
    assert!(
        ignored(&third)
            .contains("既に送信済みで（honsha、yokohama）、新たに対象となる組織はありません"),
        "{third:?}"
    );
    assert_eq!(
        given.dispatched("20261206085800", "首都圏5弱", Mode::Actual),
        Some((vec![org("honsha"), org("yokohama")], false))
    );
}

#[test]
fn given_a_dispatch_when_a_correction_qualifies_more_orgs_then_they_are_dispatched() {
    let mut given = Evaluator::new();
    one(when(
        &mut given,
        &[condition()],
        &detail("20261206085800", 6, Intensity::Four),
    ));
    let mut correction = detail("20261206085800", 20, Intensity::FiveLower);
    correction.info_type = InfoType::Corrected;
    let decision = one(when(&mut given, &[condition()], &correction));
    assert_eq!(dispatched_orgs(&decision), ["yokohama"]);
    assert!(decision.reason().contains("訂正"), "{decision:?}");
}

#[test]
fn two_interleaved_events_are_kept_apart() {
    let mut given = Evaluator::new();
    let a1 = one(when(
        &mut given,
        &[condition()],
        &shindo("20261206085800", 2, Intensity::FiveLower),
    ));
    let b1 = one(when(
        &mut given,
        &[condition()],
        &shindo("20261206090300", 6, Intensity::SixLower),
    ));
    let a2 = one(when(
        &mut given,
        &[condition()],
        &detail("20261206085800", 8, Intensity::FiveLower),
    ));
    let b2 = one(when(
        &mut given,
        &[condition()],
        &detail("20261206090300", 10, Intensity::Four),
    ));
    assert_eq!(dispatched_orgs(&a1), ["honsha"]);
    assert_eq!(dispatched_orgs(&b1), ["honsha"]);
    assert_eq!(dispatched_orgs(&a2), ["yokohama"]);
    ignored(&b2);
}

#[test]
fn every_condition_decides_on_its_own() {
    let all = [condition(), Condition::nationwide()];
    let decisions = when(
        &mut Evaluator::new(),
        &all,
        &shindo("20261206085800", 2, Intensity::FiveLower),
    );
    assert_eq!(decisions.len(), 2);
    assert_eq!(dispatched_orgs(&decisions[0]), ["honsha"]);
    // The built-in condition asks every organisation (an empty list).
    assert_eq!(dispatched_orgs(&decisions[1]), Vec::<String>::new());
    assert!(
        decisions[1].reason().contains("組織 全組織"),
        "{decisions:?}"
    );
}

#[test]
fn given_every_org_was_asked_then_a_later_telegram_of_the_event_adds_nothing() {
    let mut given = Evaluator::new();
    let all = [Condition::nationwide()];
    one(when(
        &mut given,
        &all,
        &shindo("20261206085800", 2, Intensity::FiveLower),
    ));
    let later = one(when(
        &mut given,
        &all,
        &detail("20261206085800", 6, Intensity::SixLower),
    ));
    assert!(ignored(&later).contains("既に全組織に送信"), "{later:?}");
}

// --- rule: 取消 -------------------------------------------------------------------------

#[test]
fn given_a_dispatch_when_the_event_is_cancelled_then_it_is_cancelled_once() {
    let mut given = Evaluator::new();
    one(when(
        &mut given,
        &[condition()],
        &detail("20261206085800", 6, Intensity::FiveLower),
    ));
    let decision = one(when(
        &mut given,
        &[condition()],
        &cancelled("20261206085800", 30),
    ));
    let Decision::Cancel {
        condition: name,
        event_id,
        mode,
        reason,
    } = &decision
    else {
        panic!("expected a cancel, got {decision:?}")
    };
    assert_eq!(*mode, Mode::Actual);
    assert_eq!(name, "首都圏5弱");
    assert_eq!(event_id, "20261206085800");
    assert!(reason.contains("取消"), "{reason}");
    assert!(reason.contains("honsha、yokohama"), "{reason}");
    assert_eq!(
        given.dispatched("20261206085800", "首都圏5弱", Mode::Actual),
        Some((vec![org("honsha"), org("yokohama")], true))
    );
    // A second 取消 (another type's) cancels nothing more.
    let again = one(when(
        &mut given,
        &[condition()],
        &cancelled("20261206085800", 31),
    ));
    assert!(
        ignored(&again).contains("既に取り消しています"),
        "{again:?}"
    );
}

#[test]
fn given_no_dispatch_when_the_event_is_cancelled_then_it_is_ignored_per_condition() {
    let mut given = Evaluator::new();
    one(when(
        &mut given,
        &[condition()],
        &shindo("20261206085800", 2, Intensity::Four),
    ));
    let decisions = when(
        &mut given,
        &[condition(), Condition::nationwide()],
        &cancelled("20261206085800", 30),
    );
    assert_eq!(decisions.len(), 2);
    for decision in &decisions {
        assert!(
            ignored(decision).contains("この地震でこの条件の安否確認は送信していません"),
            "{decision:?}"
        );
    }
}

#[test]
fn a_cancel_before_the_delayed_time_says_the_roll_call_is_not_sent() {
    let delayed = Condition {
        delay_minutes: 30,
        ..condition()
    };
    let mut given = Evaluator::new();
    one(when(
        &mut given,
        std::slice::from_ref(&delayed),
        &shindo("20261206085800", 2, Intensity::FiveLower),
    ));
    let decision = one(when(
        &mut given,
        &[delayed],
        &cancelled("20261206085800", 10),
    ));
    assert!(
        decision
            .reason()
            .contains("2026-12-06 09:32 に送信予定だった安否確認（honsha）を送信しません"),
        "{decision:?}"
    );
}

#[test]
fn a_new_issue_after_a_cancel_is_evaluated_afresh() {
    let mut given = Evaluator::new();
    one(when(
        &mut given,
        &[condition()],
        &shindo("20261206085800", 2, Intensity::FiveLower),
    ));
    one(when(
        &mut given,
        &[condition()],
        &cancelled("20261206085800", 5),
    ));
    let again = one(when(
        &mut given,
        &[condition()],
        &shindo("20261206085800", 9, Intensity::FiveLower),
    ));
    assert_eq!(dispatched_orgs(&again), ["honsha"]);
}

// --- rule: Status other than 通常 -------------------------------------------------------

#[test]
fn a_drill_telegram_starts_nothing_unless_the_condition_says_so() {
    let mut drill = shindo("20261206085800", 2, Intensity::SixUpper);
    drill.status = TelegramStatus::Drill;
    let decision = one(when(&mut Evaluator::new(), &[condition()], &drill));
    assert!(
        ignored(&decision).contains("drill_on_training が false"),
        "{decision:?}"
    );
    assert!(decision.reason().contains("訓練電文"), "{decision:?}");

    let drills = Condition {
        drill_on_training: true,
        ..condition()
    };
    let mut given = Evaluator::new();
    let decision = one(when(&mut given, std::slice::from_ref(&drills), &drill));
    let Decision::Dispatch { mode, reason, .. } = &decision else {
        panic!("expected a drill dispatch, got {decision:?}")
    };
    assert_eq!(*mode, Mode::Drill);
    assert!(reason.contains("訓練の安否確認"), "{reason}");
    // A real telegram of the same EventID is an actual roll-call of its own.
    let real = one(when(
        &mut given,
        &[drills],
        &shindo("20261206085800", 3, Intensity::SixUpper),
    ));
    let Decision::Dispatch { mode, .. } = real else {
        panic!("expected an actual dispatch")
    };
    assert_eq!(mode, Mode::Actual);
}

#[test]
fn a_test_telegram_never_dispatches() {
    let drills = Condition {
        drill_on_training: true,
        ..condition()
    };
    let mut test = shindo("20261206085800", 2, Intensity::Seven);
    test.status = TelegramStatus::Test;
    let decision = one(when(&mut Evaluator::new(), &[drills], &test));
    assert!(ignored(&decision).contains("試験電文"), "{decision:?}");
}

#[test]
fn a_drill_cancel_cancels_only_the_drill() {
    let drills = Condition {
        drill_on_training: true,
        ..condition()
    };
    let mut given = Evaluator::new();
    let mut drill = shindo("20261206085800", 2, Intensity::SixUpper);
    drill.status = TelegramStatus::Drill;
    one(when(&mut given, std::slice::from_ref(&drills), &drill));
    one(when(
        &mut given,
        std::slice::from_ref(&drills),
        &shindo("20261206085800", 3, Intensity::SixUpper),
    ));
    let mut cancel = cancelled("20261206085800", 10);
    cancel.status = TelegramStatus::Drill;
    let decision = one(when(&mut given, &[drills], &cancel));
    assert!(
        matches!(
            decision,
            Decision::Cancel {
                mode: Mode::Drill,
                ..
            }
        ),
        "{decision:?}"
    );
    assert_eq!(
        given
            .dispatched("20261206085800", "首都圏5弱", Mode::Drill)
            .map(|d| d.1),
        Some(true)
    );
    assert_eq!(
        given
            .dispatched("20261206085800", "首都圏5弱", Mode::Actual)
            .map(|d| d.1),
        Some(false)
    );
}

// --- rule: suppression window ------------------------------------------------------------

#[test]
fn within_the_suppression_window_another_event_does_not_dispatch() {
    let suppressing = Condition {
        suppress_minutes: 60,
        ..condition()
    };
    let conditions = [suppressing];
    let mut given = Evaluator::new();
    one(when(
        &mut given,
        &conditions,
        &shindo("20261206085800", 2, Intensity::FiveLower),
    ));
    // Another earthquake 30 minutes later: suppressed.
    let within = one(when(
        &mut given,
        &conditions,
        &shindo("20261206093000", 32, Intensity::SixLower),
    ));
    assert!(
        ignored(&within).contains("抑止時間（60分）内"),
        "{within:?}"
    );
    assert!(
        within.reason().contains("EventID 20261206085800"),
        "{within:?}"
    );
    // The first event's own later telegrams still add their new organisations.
    let same = one(when(
        &mut given,
        &conditions,
        &detail("20261206085800", 33, Intensity::FiveLower),
    ));
    assert_eq!(dispatched_orgs(&same), ["yokohama"]);
    // The window counts from that last dispatch (minute 33): minute 92 is within, 93 not.
    ignored(&one(when(
        &mut given,
        &conditions,
        &shindo("20261206103000", 92, Intensity::FiveLower),
    )));
    let after = one(when(
        &mut given,
        &conditions,
        &shindo("20261206103100", 93, Intensity::FiveLower),
    ));
    assert_eq!(dispatched_orgs(&after), ["honsha"]);
    assert_eq!(given.last_dispatch("首都圏5弱", Mode::Actual), Some(at(93)));
}

#[test]
fn a_cancelled_dispatch_does_not_suppress() {
    let conditions = [Condition {
        suppress_minutes: 60,
        ..condition()
    }];
    let mut given = Evaluator::new();
    one(when(
        &mut given,
        &conditions,
        &shindo("20261206085800", 2, Intensity::FiveLower),
    ));
    one(when(
        &mut given,
        &conditions,
        &cancelled("20261206085800", 4),
    ));
    let next = one(when(
        &mut given,
        &conditions,
        &shindo("20261206091000", 12, Intensity::FiveLower),
    ));
    assert_eq!(dispatched_orgs(&next), ["honsha"]);
}

// --- rule: delay ----------------------------------------------------------------------------

#[test]
fn the_dispatch_is_due_report_time_plus_the_delay() {
    let delayed = Condition {
        delay_minutes: 15,
        ..condition()
    };
    let telegram = shindo("20261206085800", 2, Intensity::FiveLower);
    let decision = one(Evaluator::new().evaluate(std::slice::from_ref(&delayed), &telegram, at(3)));
    let Decision::Dispatch {
        at: due, reason, ..
    } = &decision
    else {
        panic!("expected a dispatch")
    };
    assert_eq!(*due, at(17));
    assert!(
        reason.contains("2026-12-06 09:17（発表から15分後）に"),
        "{reason}"
    );
    // Received after the delay has passed: due at once.
    let late = one(Evaluator::new().evaluate(&[delayed], &telegram, at(40)));
    let Decision::Dispatch { at: due, .. } = late else {
        panic!("expected a dispatch")
    };
    assert_eq!(due, at(40));
}

// --- rule: too late ------------------------------------------------------------------------

#[test]
fn a_telegram_read_hours_after_it_was_due_dispatches_nothing_but_its_cancel_still_cancels() {
    let telegram = shindo("20261206085800", 2, Intensity::FiveLower);
    let delayed = Condition {
        delay_minutes: 30,
        ..condition()
    };
    // Due at 09:02 (and 09:32 with the delay); read at 12:02 and 12:03.
    let just = Evaluator::new().evaluate(&[condition()], &telegram, at(2 + EXPIRY_MINUTES));
    assert!(matches!(one(just), Decision::Dispatch { .. }));
    let mut given = Evaluator::new();
    let late = one(given.evaluate(&[condition()], &telegram, at(3 + EXPIRY_MINUTES)));
    let reason = ignored(&late);
    assert!(
        reason.contains("2026-12-06 09:02 に送信するはずの安否確認ですが、180分以上過ぎて"),
        "{reason}"
    );
    assert_eq!(
        given.dispatched("20261206085800", "首都圏5弱", Mode::Actual),
        None
    );
    // The delay moves the limit with the due time.
    let delayed_late = Evaluator::new().evaluate(&[delayed], &telegram, at(3 + EXPIRY_MINUTES));
    assert!(matches!(one(delayed_late), Decision::Dispatch { .. }));
    assert!(expired(at(0), at(EXPIRY_MINUTES + 1)));
    assert!(!expired(at(0), at(EXPIRY_MINUTES)));
    // A 取消 is never too late for what was sent.
    let mut sent = Evaluator::new();
    one(when(&mut sent, &[condition()], &telegram));
    let cancel = one(sent.evaluate(
        &[condition()],
        &cancelled("20261206085800", 30),
        at(30 + 10 * EXPIRY_MINUTES),
    ));
    assert!(matches!(cancel, Decision::Cancel { .. }), "{cancel:?}");
}

// --- rule: telegrams that never dispatch -------------------------------------------------

#[test]
fn early_warnings_hypocentre_information_and_other_telegrams_are_ignored() {
    let base = shindo("20261206085800", 2, Intensity::Seven);
    for (kind, expected) in [
        (TelegramKind::EarlyWarning, "緊急地震速報は予測のため"),
        (
            TelegramKind::Vxse52,
            "震源に関する情報には震度の観測値がない",
        ),
        (
            TelegramKind::Other("津波警報・注意報・予報a".into()),
            "自動送信の対象外",
        ),
    ] {
        let telegram = Telegram {
            kind,
            ..base.clone()
        };
        let decision = one(when(
            &mut Evaluator::new(),
            &[condition(), Condition::nationwide()],
            &telegram,
        ));
        assert!(ignored(&decision).contains(expected), "{decision:?}");
    }
}

// --- titles and the condition file -----------------------------------------------------------

#[test]
fn the_title_template_is_filled_and_cut_to_sixty_characters() {
    let mut telegram = detail("20261206085800", 6, Intensity::SixLower);
    let custom = Condition {
        title: "【{条件}】{震源}の地震 {地域} 震度{震度}".into(),
        targets: vec![target(&["13", "14"], &["350", "360"], &[], &["honsha"])],
        ..condition()
    };
    let decision = one(when(
        &mut Evaluator::new(),
        std::slice::from_ref(&custom),
        &telegram,
    ));
    let Decision::Dispatch { title, .. } = decision else {
        panic!("expected a dispatch")
    };
    assert_eq!(
        title,
        "【首都圏5弱】東京湾の地震 東京都、東京都２３区、神奈川県ほか 震度6弱"
    );
    telegram.hypocentre = Some("あ".repeat(80));
    let decision = one(when(&mut Evaluator::new(), &[custom], &telegram));
    let Decision::Dispatch { title, .. } = decision else {
        panic!("expected a dispatch")
    };
    assert_eq!(title.chars().count(), 60);
    assert!(title.ends_with('…'));
}

#[test]
fn a_conditions_file_is_read_with_defaults_and_checked() {
    let json = r#"[
        {
            "name": "本社",
            "min_intensity": "5弱",
            "targets": [{"areas": ["350"], "orgs": ["honsha"]}]
        }
    ]"#;
    let conditions: Vec<Condition> = serde_json::from_str(json).unwrap();
    assert_eq!(conditions[0].title, DEFAULT_TITLE);
    assert!(!conditions[0].drill_on_training);
    assert_eq!(conditions[0].suppress_minutes, 0);
    assert_eq!(conditions[0].delay_minutes, 0);
    assert!(check_conditions(&conditions).is_empty());
    assert!(check_conditions(&[Condition::nationwide()]).is_empty());

    let unknown = r#"[{"name": "x", "min_intensity": 5, "targets": []}]"#;
    assert!(serde_json::from_str::<Vec<Condition>>(unknown).is_err());
    let extra = r#"[{"name": "x", "min_intensity": "5弱", "targets": [], "colour": 1}]"#;
    assert!(serde_json::from_str::<Vec<Condition>>(extra).is_err());

    let bad = vec![
        Condition {
            name: "  ".into(),
            min_intensity: Intensity::Three,
            targets: vec![],
            title: "{地域}の{規模}".into(),
            suppress_minutes: 2000,
            ..condition()
        },
        Condition {
            targets: vec![
                target(&["13", "1"], &["35"], &["141040"], &[]),
                Target::default(),
            ],
            ..condition()
        },
        condition(),
    ];
    let problems = check_conditions(&bad);
    for expected in [
        "1番目の条件: name（条件名）を入力してください",
        "1番目の条件: min_intensity は震度4以上",
        "1番目の条件: targets（対象地域と組織）を1つ以上入れてください",
        "1番目の条件: suppress_minutes は1440分（1日）以内にしてください（2000）",
        "1番目の条件: title: 差し込み「{規模}」は使えません",
        "条件「首都圏5弱」の targets[0].prefectures: 都道府県コードは半角数字2桁です（「1」）",
        "条件「首都圏5弱」の targets[0].areas: 細分区域コードは半角数字3桁です（「35」）",
        "条件「首都圏5弱」の targets[0].cities: 市町村等コードは半角数字7桁です（「141040」）",
        "条件「首都圏5弱」の targets[1]: prefectures、areas、cities のいずれかに地域コードを入れてください",
        "条件「首都圏5弱」: 同じ名前の条件がほかにもあります",
    ] {
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "{expected} not in {problems:#?}"
        );
    }
    assert_eq!(check_conditions(&[]), ["条件が1つもありません"]);
}

#[test]
fn the_nationwide_condition_names_all_47_prefectures() {
    let nationwide = Condition::nationwide();
    assert_eq!(nationwide.name, "震度5弱以上（全国）");
    assert_eq!(nationwide.min_intensity, Intensity::FiveLower);
    let codes = &nationwide.targets[0].prefectures;
    assert_eq!(codes.len(), 47);
    assert_eq!(codes[0], "01");
    assert_eq!(codes[12], "13");
    assert_eq!(codes[46], "47");
    assert!(nationwide.targets[0].orgs.is_empty());
}

#[test]
fn the_state_round_trips_through_json_and_forgets_old_events() {
    let mut given = Evaluator::new();
    one(when(
        &mut given,
        &[condition()],
        &shindo("20261206085800", 2, Intensity::FiveLower),
    ));
    let json = serde_json::to_string(&given).unwrap();
    let mut kept: Evaluator = serde_json::from_str(&json).unwrap();
    assert_eq!(kept, given);
    // The kept state still knows what was dispatched.
    let again = one(when(
        &mut kept,
        &[condition()],
        &shindo("20261206085800", 4, Intensity::FiveLower),
    ));
    ignored(&again);
    kept.forget_before(at(3));
    assert_eq!(
        kept.dispatched("20261206085800", "首都圏5弱", Mode::Actual),
        None
    );
}

#[test]
fn decisions_serialise_with_their_kind() {
    let decision = one(when(
        &mut Evaluator::new(),
        &[condition()],
        &shindo("20261206085800", 2, Intensity::FiveLower),
    ));
    let json = serde_json::to_value(&decision).unwrap();
    assert_eq!(json["decision"], "dispatch");
    assert_eq!(json["mode"], "actual");
    assert_eq!(json["orgs"][0], "honsha");
    assert_eq!(json["at"], "2026-12-06T00:02:00Z");
    let telegram = serde_json::to_value(shindo("e", 2, Intensity::FiveLower)).unwrap();
    assert_eq!(telegram["kind"], "VXSE51");
    assert_eq!(telegram["status"], "normal");
    assert_eq!(telegram["prefectures"][0]["areas"][0]["max"], "5-");
}
