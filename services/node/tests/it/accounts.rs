//! Accounts against a node served in process: each role's boundary on every
//! operation, the one-time password and the password policy, 180 days, lockout and
//! unlock, withdrawal and reset, the Red Cross view, and the read log.
//! R: A-01..A-03, A-06, P-04.

use anpi_core::account::{self, Operation, Role};
use anpi_core::jurisdiction::Tier;
use anpi_proto::{draft_to_proto, v1};
use tonic::Code;

use crate::api::{Api, as_token, example_draft};
use crate::support::evacuee;

/// Issues an account of `role`, logs in with the one-time password, changes it, and
/// returns a token with full use of the role.
async fn account_of(api: &mut Api, id: &str, role: Role) -> String {
    let issued = api
        .node
        .create_account(api.req(v1::CreateAccountRequest {
            account_id: id.into(),
            holder: "試験 担当".into(),
            affiliation: "防災課".into(),
            contact: "内線 1234".into(),
            role: role.as_str().into(),
            terminal: "本庁舎 2F".into(),
        }))
        .await
        .expect("issued")
        .into_inner();
    let initial = issued.initial_password;
    let login = api
        .auth
        .login(v1::LoginRequest {
            account: id.into(),
            password: initial.clone(),
        })
        .await
        .expect("login with the initial password")
        .into_inner();
    assert!(login.must_change_password);
    let new = format!("Chosen-pass-{}", id.len());
    api.node
        .change_password(as_token(
            &login.token,
            v1::ChangePasswordRequest {
                current_password: initial,
                new_password: new.clone(),
            },
        ))
        .await
        .expect("password changed");
    api.auth
        .login(v1::LoginRequest {
            account: id.into(),
            password: new,
        })
        .await
        .expect("login")
        .into_inner()
        .token
}

/// Calls the RPC of `operation` with harmless arguments; the status code (OK as Ok).
async fn call(api: &mut Api, token: &str, operation: Operation, incident: &str) -> Code {
    let node = &mut api.node;
    let random = uuid::Uuid::now_v7().to_string();
    let result: Result<(), tonic::Status> = match operation {
        Operation::NodeInfo => node
            .get_node_info(as_token(token, v1::GetNodeInfoRequest {}))
            .await
            .map(drop),
        Operation::ListIncidents => node
            .list_incidents(as_token(token, v1::ListIncidentsRequest {}))
            .await
            .map(drop),
        Operation::CreateIncident => node
            .create_incident(as_token(
                token,
                v1::CreateIncidentRequest {
                    name: "訓練：権限".into(),
                    mode: "drill".into(),
                    incident_id: incident.into(),
                },
            ))
            .await
            .map(drop),
        Operation::RecordEntry => node
            .record_entry(as_token(
                token,
                v1::RecordEntryRequest {
                    incident_id: incident.into(),
                    draft: Some(draft_to_proto(&evacuee(7))),
                    ..Default::default()
                },
            ))
            .await
            .map(drop),
        Operation::DeleteEntry => node
            .delete_entry(as_token(
                token,
                v1::DeleteEntryRequest {
                    record_id: random,
                    reason: "試験".into(),
                },
            ))
            .await
            .map(drop),
        Operation::RecordDeparture => node
            .record_departure(as_token(
                token,
                v1::RecordDepartureRequest {
                    record_id: random,
                    date: "2026-11-22".into(),
                },
            ))
            .await
            .map(drop),
        Operation::ListRecords => node
            .list_records(as_token(token, v1::ListRecordsRequest::default()))
            .await
            .map(drop),
        Operation::GetRecord => node
            .get_record(as_token(token, v1::GetRecordRequest { record_id: random }))
            .await
            .map(drop),
        Operation::ReadEvents => node
            .read_events(as_token(token, v1::ReadEventsRequest::default()))
            .await
            .map(drop),
        Operation::Report => node
            .report(as_token(token, v1::ReportRequest {}))
            .await
            .map(drop),
        Operation::SetIntake => node
            .set_intake(as_token(
                token,
                v1::SetIntakeRequest {
                    scope: "reports".into(),
                    paused: false,
                },
            ))
            .await
            .map(drop),
        Operation::GetIntake => node
            .get_intake(as_token(token, v1::GetIntakeRequest {}))
            .await
            .map(drop),
        Operation::ReportHistory => node
            .report_history(as_token(token, v1::ReportHistoryRequest::default()))
            .await
            .map(drop),
        Operation::Organise => node
            .organise(as_token(token, v1::OrganiseRequest::default()))
            .await
            .map(drop),
        Operation::Search => node
            .search(as_token(
                token,
                v1::SearchRequest {
                    name: "消防太郎".into(),
                    ..Default::default()
                },
            ))
            .await
            .map(drop),
        Operation::Replay => node
            .replay(as_token(
                token,
                v1::ReplayRequest {
                    into: "role_check".into(),
                    ..Default::default()
                },
            ))
            .await
            .map(drop),
        Operation::Publish => node
            .publish(as_token(token, v1::PublishRequest {}))
            .await
            .map(drop),
        Operation::SharedStatus => node
            .get_shared_status(as_token(token, v1::GetSharedStatusRequest {}))
            .await
            .map(drop),
        Operation::Inquiry => node
            .list_inquiries(as_token(token, v1::ListInquiriesRequest::default()))
            .await
            .map(drop),
        Operation::ManageAccounts => node
            .list_accounts(as_token(token, v1::ListAccountsRequest {}))
            .await
            .map(drop),
        Operation::ReadAccessLog => node
            .list_reads(as_token(token, v1::ListReadsRequest::default()))
            .await
            .map(drop),
        Operation::ManageTrust => node
            .list_child_keys(as_token(token, v1::ListChildKeysRequest {}))
            .await
            .map(drop),
        Operation::PurgePrivateArea => node
            .purge_private_area(as_token(
                token,
                v1::PurgePrivateAreaRequest {
                    reason: String::new(),
                    confirm: "wrong".into(),
                },
            ))
            .await
            .map(drop),
        Operation::RevokeAnywhere => node
            .list_revocations(as_token(token, v1::ListRevocationsRequest {}))
            .await
            .map(drop),
        Operation::ChangeOwnPassword => node
            .change_password(as_token(
                token,
                v1::ChangePasswordRequest {
                    current_password: "wrong-password-0".into(),
                    new_password: "Another-pass-1".into(),
                },
            ))
            .await
            .map(drop),
    };
    match result {
        Ok(()) => Code::Ok,
        Err(status) => status.code(),
    }
}

#[tokio::test]
async fn every_role_can_do_exactly_what_its_terminal_class_allows() {
    for (code, tier) in [("131016", Tier::Municipality), ("000001", Tier::National)] {
        check_every_role(code, tier).await;
    }
}

async fn check_every_role(code: &str, tier: Tier) {
    let mut api = Api::start_at(code).await;
    let incident = api.incident().await;
    for (n, role) in Role::ALL.into_iter().enumerate() {
        if role == Role::Publisher && tier != Tier::National {
            continue; // only the national tier registers publishers
        }
        let id = format!("user{n}{}", role.as_str().replace('_', ""));
        let token = account_of(&mut api, &id, role).await;
        for operation in Operation::ALL {
            let code = call(&mut api, &token, operation, &incident).await;
            let allowed = account::permits(role, operation, tier);
            if allowed {
                assert_ne!(
                    code,
                    Code::PermissionDenied,
                    "{role:?} may {operation:?} at the {tier:?} tier"
                );
            } else {
                assert_eq!(
                    code,
                    Code::PermissionDenied,
                    "{role:?} may not {operation:?} at the {tier:?} tier"
                );
            }
        }
    }
    // The refusal names the role and what it may not do.
    let token = account_of(&mut api, "fieldclerk", Role::Input).await;
    let refused = api
        .node
        .list_records(as_token(&token, v1::ListRecordsRequest::default()))
        .await
        .unwrap_err();
    assert!(refused.message().contains("入力"), "{}", refused.message());
}

#[tokio::test]
async fn initial_passwords_policy_lockout_withdrawal_and_reset() {
    let mut api = Api::start().await;
    let issued = api
        .node
        .create_account(api.req(v1::CreateAccountRequest {
            account_id: "clerk01".into(),
            holder: "試験 花子".into(),
            affiliation: "防災課".into(),
            contact: "内線 2345".into(),
            role: "organise".into(),
            terminal: String::new(),
        }))
        .await
        .unwrap()
        .into_inner();
    let initial = issued.initial_password.clone();
    assert!(account::check_password(&initial, "clerk01", None).is_ok());
    // The register shows holder, affiliation, contact, role and the issuing date.
    let register = api
        .node
        .list_accounts(api.req(v1::ListAccountsRequest {}))
        .await
        .unwrap()
        .into_inner()
        .accounts;
    let row = register.iter().find(|a| a.account_id == "clerk01").unwrap();
    assert_eq!(
        (row.holder.as_str(), row.affiliation.as_str()),
        ("試験 花子", "防災課")
    );
    assert!(row.initial_password && !row.issued_at.is_empty() && row.withdrawn_at.is_empty());
    let duplicate = api
        .node
        .create_account(api.req(v1::CreateAccountRequest {
            account_id: "clerk01".into(),
            holder: "別人".into(),
            affiliation: "x".into(),
            contact: "x".into(),
            role: "input".into(),
            terminal: String::new(),
        }))
        .await
        .unwrap_err();
    assert_eq!(duplicate.code(), Code::FailedPrecondition, "{duplicate:?}");
    assert!(duplicate.message().contains("既に使われています"));

    // The one-time password only lets its holder change it.
    let login = |password: &str| v1::LoginRequest {
        account: "clerk01".into(),
        password: password.into(),
    };
    let first = api.auth.login(login(&initial)).await.unwrap().into_inner();
    assert!(first.must_change_password && first.notice.contains("初期パスワード"));
    let blocked = api
        .node
        .list_incidents(as_token(&first.token, v1::ListIncidentsRequest {}))
        .await
        .unwrap_err();
    assert_eq!(blocked.code(), Code::PermissionDenied);
    assert!(
        blocked.message().contains("パスワードを変更"),
        "{}",
        blocked.message()
    );
    for (bad, rule) in [
        ("short1!", "8〜32文字"),
        ("abcdefghij", "2種類"),
        ("xxclerk01xx", "ユーザーID"),
        ("ｐａｓｓｗｏｒｄ１", "半角"),
    ] {
        let refused = api
            .node
            .change_password(as_token(
                &first.token,
                v1::ChangePasswordRequest {
                    current_password: initial.clone(),
                    new_password: bad.into(),
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument, "{bad}");
        assert!(
            refused.message().contains(rule),
            "{bad}: {}",
            refused.message()
        );
    }
    api.node
        .change_password(as_token(
            &first.token,
            v1::ChangePasswordRequest {
                current_password: initial.clone(),
                new_password: "Shelter-2026".into(),
            },
        ))
        .await
        .unwrap();
    let normal = api
        .auth
        .login(login("Shelter-2026"))
        .await
        .unwrap()
        .into_inner();
    assert!(!normal.must_change_password);
    assert_eq!(normal.role, "organise");

    // 180 days after the change, only the change is allowed again.
    let client = anpi_node::store::connect(&api.db.url).await.unwrap();
    client
        .execute(
            "UPDATE accounts SET password_changed_at = now() - interval '181 days' WHERE account_id = 'clerk01'",
            &[],
        )
        .await
        .unwrap();
    let old = api
        .auth
        .login(login("Shelter-2026"))
        .await
        .unwrap()
        .into_inner();
    assert!(
        old.must_change_password && old.notice.contains("180日"),
        "{old:?}"
    );
    client
        .execute(
            "UPDATE accounts SET password_changed_at = now() WHERE account_id = 'clerk01'",
            &[],
        )
        .await
        .unwrap();

    // Five wrong passwords in a row lock the account, even for the right one.
    for _ in 0..account::LOCKOUT_AFTER_FAILURES {
        api.auth.login(login("Wrong-pass-1")).await.unwrap_err();
    }
    let locked = api.auth.login(login("Shelter-2026")).await.unwrap_err();
    assert!(locked.message().contains("ロック"), "{}", locked.message());
    let still = api
        .node
        .list_incidents(as_token(&normal.token, v1::ListIncidentsRequest {}))
        .await
        .unwrap_err();
    assert_eq!(
        still.code(),
        Code::Unauthenticated,
        "a locked account's sessions end"
    );
    api.node
        .unlock_account(api.req(v1::AccountRequest {
            account_id: "clerk01".into(),
        }))
        .await
        .unwrap();
    let again = api
        .auth
        .login(login("Shelter-2026"))
        .await
        .unwrap()
        .into_inner();

    // A reset issues a new one-time password and ends the holder's sessions.
    let reset = api
        .node
        .reset_password(api.req(v1::AccountRequest {
            account_id: "clerk01".into(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_ne!(reset.initial_password, initial);
    assert_eq!(
        api.node
            .list_incidents(as_token(&again.token, v1::ListIncidentsRequest {}))
            .await
            .unwrap_err()
            .code(),
        Code::Unauthenticated
    );
    let fresh = api
        .auth
        .login(login(&reset.initial_password))
        .await
        .unwrap()
        .into_inner();
    assert!(fresh.must_change_password);

    // Withdrawal: no more logins, and the register shows the return date.
    let withdrawn = api
        .node
        .withdraw_account(api.req(v1::AccountRequest {
            account_id: "clerk01".into(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(!withdrawn.withdrawn_at.is_empty());
    assert_eq!(
        api.auth
            .login(login(&reset.initial_password))
            .await
            .unwrap_err()
            .code(),
        Code::Unauthenticated
    );
    let own = api
        .node
        .withdraw_account(api.req(v1::AccountRequest {
            account_id: "admin".into(),
        }))
        .await
        .unwrap_err();
    assert_eq!(own.code(), Code::FailedPrecondition);

    // Every change is an event of the log (without any password).
    let events = api
        .node
        .read_events(api.req(v1::ReadEventsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .events;
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    for kind in [
        "AccountCreated",
        "PasswordSet",
        "AccountLocked",
        "AccountUnlocked",
        "AccountWithdrawn",
    ] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    assert!(
        events
            .iter()
            .all(|e| !e.payload_json.contains("Shelter-2026") && !e.payload_json.contains("argon2")),
        "no password or hash in the log"
    );
}

#[tokio::test]
async fn the_red_cross_sees_only_foreign_or_unknown_nationality_and_every_read_is_logged() {
    let mut api = Api::start().await;
    let incident = api.incident().await;
    let japanese = api
        .node
        .record_entry(api.req(v1::RecordEntryRequest {
            incident_id: incident.clone(),
            draft: Some(example_draft("form1-evacuee.json")),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
        .record
        .unwrap();
    let mut foreign = anpi_core::entry::fixtures::evacuee();
    foreign.nationality.kind = "その他".into();
    foreign.nationality.other = "アメリカ".into();
    foreign.written_at = "2026-11-21 15:00".into();
    foreign.address.lot = "9-9".into();
    let foreign = api
        .node
        .record_entry(api.req(v1::RecordEntryRequest {
            incident_id: incident.clone(),
            draft: Some(draft_to_proto(&foreign)),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
        .record
        .unwrap();

    let red_cross = account_of(&mut api, "jrc01", Role::RedCross).await;
    let found = api
        .node
        .search(as_token(
            &red_cross,
            v1::SearchRequest {
                name: "消防太郎".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .records;
    let ids: Vec<&str> = found.iter().map(|r| r.record_id.as_str()).collect();
    assert_eq!(ids, [foreign.record_id.as_str()]);
    let hidden = api
        .node
        .get_record(as_token(
            &red_cross,
            v1::GetRecordRequest {
                record_id: japanese.record_id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(hidden.code(), Code::NotFound);
    api.node
        .get_record(as_token(
            &red_cross,
            v1::GetRecordRequest {
                record_id: foreign.record_id.clone(),
            },
        ))
        .await
        .unwrap();

    // The auditor reads who searched what and how many results came back.
    let auditor = account_of(&mut api, "audit01", Role::Auditor).await;
    let reads = api
        .node
        .list_reads(as_token(
            &auditor,
            v1::ListReadsRequest {
                account_id: "jrc01".into(),
                limit: 10,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .reads;
    let seen: Vec<(&str, i32)> = reads
        .iter()
        .map(|r| (r.operation.as_str(), r.results))
        .collect();
    assert_eq!(seen, [("get_record", 1), ("get_record", 0), ("search", 1)]);
    assert!(reads[2].query_json.contains("消防太郎") && reads[2].role == "red_cross");
}
