//! The organisation tree (部・課・班, any depth). A roll-call sent to an organisation
//! reaches the members of it and of every organisation below it (K-01, page 12 ③).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::validation::FieldError;

/// The code an organisation is named by in files and commands (`soumu`, `soumu.kikaku`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrgCode(String);

impl OrgCode {
    pub fn parse(text: &str) -> Result<OrgCode, FieldError> {
        super::check_code("org_code", "組織コード", text).map(OrgCode)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for OrgCode {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        OrgCode::parse(&text).map_err(|e| e.message)
    }
}

impl From<OrgCode> for String {
    fn from(code: OrgCode) -> String {
        code.0
    }
}

impl fmt::Display for OrgCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One organisation: its code, name and the organisation it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    pub code: OrgCode,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<OrgCode>,
}

impl Organisation {
    /// Checks raw input (a CSV row, a form): every problem at once.
    pub fn parse(code: &str, name: &str, parent: &str) -> Result<Organisation, Vec<FieldError>> {
        let mut errors = Vec::new();
        let code = OrgCode::parse(code).map_err(|e| errors.push(e)).ok();
        let name = super::check_name("org_name", "組織名", name, 60)
            .map_err(|e| errors.push(e))
            .ok();
        let parent = if parent.trim().is_empty() {
            None
        } else {
            match OrgCode::parse(parent) {
                Ok(code) => Some(code),
                Err(mut e) => {
                    e.field = "org_parent".into();
                    e.label = crate::validation::label_of("org_parent").into();
                    errors.push(e);
                    None
                }
            }
        };
        match (code, name) {
            (Some(code), Some(name)) if errors.is_empty() => {
                if parent.as_ref() == Some(&code) {
                    return Err(vec![FieldError::new(
                        "org_parent",
                        "上位組織に自分自身は指定できません",
                    )]);
                }
                Ok(Organisation { code, name, parent })
            }
            _ => Err(errors),
        }
    }
}

/// Every organisation of a node, checked: codes unique, parents present, no cycles.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgTree {
    orgs: BTreeMap<OrgCode, Organisation>,
    children: BTreeMap<OrgCode, Vec<OrgCode>>,
}

impl OrgTree {
    /// Builds the tree; the error names the organisation and what is wrong with it.
    pub fn new(orgs: impl IntoIterator<Item = Organisation>) -> Result<OrgTree, FieldError> {
        let mut map = BTreeMap::new();
        for org in orgs {
            if map.contains_key(&org.code) {
                return Err(FieldError::new(
                    "org_code",
                    format!("組織コード「{}」が重複しています", org.code),
                ));
            }
            map.insert(org.code.clone(), org);
        }
        let mut children: BTreeMap<OrgCode, Vec<OrgCode>> = BTreeMap::new();
        for org in map.values() {
            if let Some(parent) = &org.parent {
                if !map.contains_key(parent) {
                    return Err(FieldError::new(
                        "org_parent",
                        format!(
                            "組織「{}」の上位組織「{parent}」が登録されていません",
                            org.code
                        ),
                    ));
                }
                children
                    .entry(parent.clone())
                    .or_default()
                    .push(org.code.clone());
            }
        }
        let tree = OrgTree {
            orgs: map,
            children,
        };
        for code in tree.orgs.keys() {
            let mut seen = BTreeSet::new();
            let mut at = Some(code);
            while let Some(current) = at {
                if !seen.insert(current) {
                    return Err(FieldError::new(
                        "org_parent",
                        format!("組織「{code}」の上位組織をたどると循環しています"),
                    ));
                }
                at = tree.orgs[current].parent.as_ref();
            }
        }
        Ok(tree)
    }

    pub fn get(&self, code: &OrgCode) -> Option<&Organisation> {
        self.orgs.get(code)
    }

    pub fn contains(&self, code: &OrgCode) -> bool {
        self.orgs.contains_key(code)
    }

    pub fn len(&self) -> usize {
        self.orgs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.orgs.is_empty()
    }

    /// The top-level organisations (those without a parent), by code: "every
    /// organisation" as a roll-call names it (K-08: an automatic roll-call whose
    /// condition lists no organisations asks these, and so everybody below them).
    pub fn roots(&self) -> Vec<OrgCode> {
        self.orgs
            .values()
            .filter(|o| o.parent.is_none())
            .map(|o| o.code.clone())
            .collect()
    }

    /// Organisations in tree order (each parent before its children, siblings by code).
    pub fn in_order(&self) -> Vec<&Organisation> {
        let mut out = Vec::with_capacity(self.orgs.len());
        let roots = self.orgs.values().filter(|o| o.parent.is_none());
        for root in roots {
            self.walk(root, &mut out);
        }
        out
    }

    fn walk<'a>(&'a self, org: &'a Organisation, out: &mut Vec<&'a Organisation>) {
        out.push(org);
        for child in self.children.get(&org.code).into_iter().flatten() {
            self.walk(&self.orgs[child], out);
        }
    }

    /// How deep an organisation is (a root is 0).
    pub fn depth(&self, code: &OrgCode) -> usize {
        self.ancestors(code).len()
    }

    /// The organisations above `code`, nearest first.
    pub fn ancestors(&self, code: &OrgCode) -> Vec<&OrgCode> {
        let mut out = Vec::new();
        let mut at = self.orgs.get(code).and_then(|o| o.parent.as_ref());
        while let Some(parent) = at {
            out.push(parent);
            at = self.orgs.get(parent).and_then(|o| o.parent.as_ref());
        }
        out
    }

    /// `総務部 / 総務課 / 庶務班`: the names from the root down.
    pub fn path(&self, code: &OrgCode) -> String {
        let mut names: Vec<&str> = self
            .ancestors(code)
            .into_iter()
            .rev()
            .filter_map(|c| self.orgs.get(c).map(|o| o.name.as_str()))
            .collect();
        if let Some(org) = self.orgs.get(code) {
            names.push(&org.name);
        }
        names.join(" / ")
    }

    /// The chosen organisations and every organisation below them (K-01).
    pub fn with_descendants<'a>(
        &self,
        chosen: impl IntoIterator<Item = &'a OrgCode>,
    ) -> BTreeSet<OrgCode> {
        let mut out = BTreeSet::new();
        let mut stack: Vec<&OrgCode> = chosen.into_iter().collect();
        while let Some(code) = stack.pop() {
            if self.orgs.contains_key(code) && out.insert(code.clone()) {
                stack.extend(self.children.get(code).into_iter().flatten());
            }
        }
        out
    }

    /// Whether `code` is `ancestor` or below it.
    pub fn is_within(&self, code: &OrgCode, ancestor: &OrgCode) -> bool {
        code == ancestor || self.ancestors(code).contains(&ancestor)
    }

    /// Checks that every chosen code exists; the error names the first unknown one.
    pub fn check_known<'a>(
        &self,
        field: &str,
        codes: impl IntoIterator<Item = &'a OrgCode>,
    ) -> Result<(), FieldError> {
        for code in codes {
            if !self.contains(code) {
                return Err(FieldError::new(
                    field,
                    format!("組織コード「{code}」は登録されていません"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn code(text: &str) -> OrgCode {
        OrgCode::parse(text).unwrap()
    }

    pub(crate) fn org(c: &str, name: &str, parent: Option<&str>) -> Organisation {
        Organisation {
            code: code(c),
            name: name.into(),
            parent: parent.map(code),
        }
    }

    /// 総務部 (課 2つ、うち1つに班) and 建設部.
    pub(crate) fn sample() -> OrgTree {
        OrgTree::new([
            org("soumu", "総務部", None),
            org("soumu.kikaku", "企画課", Some("soumu")),
            org("soumu.bousai", "防災課", Some("soumu")),
            org("soumu.bousai.1", "第一班", Some("soumu.bousai")),
            org("kensetsu", "建設部", None),
        ])
        .unwrap()
    }

    #[test]
    fn the_roots_are_the_organisations_without_a_parent_and_cover_everybody() {
        let tree = sample();
        assert_eq!(tree.roots(), [code("kensetsu"), code("soumu")]);
        assert_eq!(tree.with_descendants(&tree.roots()).len(), tree.len());
        assert!(OrgTree::default().roots().is_empty());
    }

    #[test]
    fn a_choice_includes_every_organisation_below_it() {
        let tree = sample();
        let got = tree.with_descendants([&code("soumu")]);
        let want: BTreeSet<_> = ["soumu", "soumu.kikaku", "soumu.bousai", "soumu.bousai.1"]
            .into_iter()
            .map(code)
            .collect();
        assert_eq!(got, want);
        assert_eq!(
            tree.with_descendants([&code("soumu.bousai")]).len(),
            2,
            "a section and its team"
        );
        assert!(tree.with_descendants([&code("nothing")]).is_empty());
    }

    #[test]
    fn paths_and_order_follow_the_tree() {
        let tree = sample();
        assert_eq!(
            tree.path(&code("soumu.bousai.1")),
            "総務部 / 防災課 / 第一班"
        );
        assert_eq!(tree.depth(&code("soumu.bousai.1")), 2);
        let order: Vec<_> = tree.in_order().iter().map(|o| o.code.as_str()).collect();
        assert_eq!(
            order,
            [
                "kensetsu",
                "soumu",
                "soumu.bousai",
                "soumu.bousai.1",
                "soumu.kikaku"
            ]
        );
        assert!(tree.is_within(&code("soumu.bousai.1"), &code("soumu")));
        assert!(!tree.is_within(&code("kensetsu"), &code("soumu")));
    }

    #[test]
    fn duplicates_missing_parents_and_cycles_are_refused() {
        let dup = OrgTree::new([org("a", "A", None), org("a", "A2", None)]).unwrap_err();
        assert!(dup.message.contains("重複"), "{dup}");
        let missing = OrgTree::new([org("a", "A", Some("zz"))]).unwrap_err();
        assert!(
            missing.message.contains("「zz」が登録されていません"),
            "{missing}"
        );
        let cycle = OrgTree::new([org("a", "A", Some("b")), org("b", "B", Some("a"))]).unwrap_err();
        assert!(cycle.message.contains("循環"), "{cycle}");
    }

    #[test]
    fn raw_input_is_checked_field_by_field() {
        let errors = Organisation::parse("総務", "", "").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["org_code", "org_name"]);
        let own = Organisation::parse("a", "A", "a").unwrap_err();
        assert_eq!(own[0].field, "org_parent");
        let ok = Organisation::parse(" soumu ", " 総務部 ", "").unwrap();
        assert_eq!((ok.code.as_str(), ok.name.as_str()), ("soumu", "総務部"));
        assert!(Organisation::parse("a", "A\u{202E}", "").is_err());
    }
}
