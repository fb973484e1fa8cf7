//! Entry drafts: domain ⇄ wire. Both directions are total and lossless (tested).

use std::collections::BTreeMap;

use anpi_core::consent::{ConsentDraft, FieldChoice};
use anpi_core::entry::{
    AddressDraft, BereavedDraft, DeathDraft, EntryDraft, FormKind, InjuryDraft, LocationDraft,
    NationalityDraft,
};

use crate::v1;

/// Wire → domain. An unknown form name is reported by the caller's validation, so
/// it maps to `Err` with the text given.
pub fn draft_from_proto(wire: v1::EntryDraft) -> Result<EntryDraft, String> {
    let form = FormKind::parse(&wire.form).ok_or(wire.form.clone())?;
    let address = wire.address.unwrap_or_default();
    let nationality = wire.nationality.unwrap_or_default();
    let injury = wire.injury.unwrap_or_default();
    let location = wire.location.unwrap_or_default();
    let consent = wire.consent.unwrap_or_default();
    let death = wire.death.unwrap_or_default();
    let bereaved = wire.bereaved.unwrap_or_default();
    Ok(EntryDraft {
        form,
        written_at: wire.written_at,
        name: wire.name,
        alias: wire.alias,
        furigana: wire.furigana,
        birth_date: wire.birth_date,
        sex: wire.sex,
        address: AddressDraft {
            postal_code: address.postal_code,
            prefecture: address.prefecture,
            municipality: address.municipality,
            town: address.town,
            lot: address.lot,
            foreign: address.foreign,
        },
        nationality: NationalityDraft {
            kind: nationality.kind,
            other: nationality.other,
        },
        identifying_info: wire.identifying_info,
        injury: InjuryDraft {
            status: injury.status,
            severity: injury.severity,
            description: injury.description,
        },
        location: LocationDraft {
            prefecture: location.prefecture,
            municipality: location.municipality,
            town: location.town,
            lot: location.lot,
            place_name: location.place_name,
            category: location.category,
        },
        contact: wire.contact,
        consent: ConsentDraft {
            family: consent.family,
            acquaintance: consent.acquaintance,
            others: consent.others,
            not_confirmable: consent.not_confirmable,
            fields: consent
                .fields
                .into_iter()
                .map(|(key, choice)| {
                    let choice = FieldChoice {
                        family: choice.family,
                        acquaintance: choice.acquaintance,
                        others: choice.others,
                    };
                    (key, choice)
                })
                .collect::<BTreeMap<_, _>>(),
        },
        death: DeathDraft {
            date: death.date,
            time: death.time,
            place: death.place,
            circumstances: death.circumstances,
            no_medical_certificate: death.no_medical_certificate,
            discovered: death.discovered,
        },
        body_location: wire.body_location,
        bereaved: BereavedDraft {
            consent: bereaved.consent,
            name: bereaved.name,
            contact: bereaved.contact,
            address: bereaved.address,
            relationship: bereaved.relationship,
        },
        remarks: wire.remarks,
    })
}

/// Domain → wire.
pub fn draft_to_proto(draft: &EntryDraft) -> v1::EntryDraft {
    let d = draft.clone();
    v1::EntryDraft {
        form: d.form.as_str().to_string(),
        written_at: d.written_at,
        name: d.name,
        alias: d.alias,
        furigana: d.furigana,
        birth_date: d.birth_date,
        sex: d.sex,
        address: Some(v1::AddressDraft {
            postal_code: d.address.postal_code,
            prefecture: d.address.prefecture,
            municipality: d.address.municipality,
            town: d.address.town,
            lot: d.address.lot,
            foreign: d.address.foreign,
        }),
        nationality: Some(v1::NationalityDraft {
            kind: d.nationality.kind,
            other: d.nationality.other,
        }),
        identifying_info: d.identifying_info,
        injury: Some(v1::InjuryDraft {
            status: d.injury.status,
            severity: d.injury.severity,
            description: d.injury.description,
        }),
        location: Some(v1::LocationDraft {
            prefecture: d.location.prefecture,
            municipality: d.location.municipality,
            town: d.location.town,
            lot: d.location.lot,
            place_name: d.location.place_name,
            category: d.location.category,
        }),
        contact: d.contact,
        consent: Some(v1::ConsentDraft {
            family: d.consent.family,
            acquaintance: d.consent.acquaintance,
            others: d.consent.others,
            not_confirmable: d.consent.not_confirmable,
            fields: d
                .consent
                .fields
                .into_iter()
                .map(|(key, choice)| {
                    let wire = v1::FieldChoice {
                        family: choice.family,
                        acquaintance: choice.acquaintance,
                        others: choice.others,
                    };
                    (key, wire)
                })
                .collect(),
        }),
        death: Some(v1::DeathDraft {
            date: d.death.date,
            time: d.death.time,
            place: d.death.place,
            circumstances: d.death.circumstances,
            no_medical_certificate: d.death.no_medical_certificate,
            discovered: d.death.discovered,
        }),
        body_location: d.body_location,
        bereaved: Some(v1::BereavedDraft {
            consent: d.bereaved.consent,
            name: d.bereaved.name,
            contact: d.bereaved.contact,
            address: d.bereaved.address,
            relationship: d.bereaved.relationship,
        }),
        remarks: d.remarks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_round_trip() {
        let mut draft = EntryDraft {
            form: FormKind::Form2,
            written_at: "2026-11-21 10:00".into(),
            name: "消防　太郎".into(),
            identifying_info: "右頬にほくろ".into(),
            ..EntryDraft::default()
        };
        draft.address.lot = "1番2号".into();
        draft.consent.family = Some(false);
        draft.consent.fields.insert(
            "contact".into(),
            FieldChoice {
                others: Some(true),
                ..Default::default()
            },
        );
        draft.death.discovered = true;
        draft.bereaved.relationship = "妻".into();
        let back = draft_from_proto(draft_to_proto(&draft)).unwrap();
        assert_eq!(back, draft);
    }

    #[test]
    fn unknown_form_is_reported() {
        let wire = v1::EntryDraft {
            form: "form9".into(),
            ..Default::default()
        };
        assert_eq!(draft_from_proto(wire), Err("form9".to_string()));
    }
}
