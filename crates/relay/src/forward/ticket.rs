//! The request as every destination sees it: a [`Ticket`].

use frontline_core::adapters::{plain_text, RequestField};
use frontline_core::request::Request;
use frontline_core::Ruleset;

/// How urgent a ticket is, on the four-step scale most help desks share
/// (each destination maps it onto its own: Freshdesk 1–4, ServiceNow's
/// urgency and impact 1–3, Zammad's priorities).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Deserialize, serde::Serialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Can wait.
    Low,
    /// The default.
    Normal,
    /// Work is impaired.
    High,
    /// Business stopped.
    Urgent,
}

impl Priority {
    /// The priority of the severity at `position` in the ruleset's list of
    /// severities (the first is the most severe): urgent, high, normal, then
    /// low for the rest. No severity: normal.
    pub fn of_position(position: Option<usize>) -> Priority {
        match position {
            Some(0) => Priority::Urgent,
            Some(1) => Priority::High,
            Some(2) | None => Priority::Normal,
            Some(_) => Priority::Low,
        }
    }

    /// `"urgent"`, `"high"`, `"normal"` or `"low"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }
}

/// One request, ready to become a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// The request's id (UUID v4): the Frontline id each destination writes
    /// into a field it keeps and looks up before sending again.
    pub frontline_id: String,
    /// The relay's reference (`FL-000123`), as the customer was told.
    pub reference: String,
    /// The customer's one-line title.
    pub title: String,
    /// The whole request as plain text: the customer's words, the diagnosis
    /// transcript and the decision ([`plain_text`]), after a warning line
    /// when [`Ticket::flagged`].
    pub body: String,
    /// From the severity.
    pub priority: Priority,
    /// The request as received (`frontline.request/v1` JSON), for
    /// destinations that take it whole (the webhook).
    pub request_json: String,
    /// Set when the relay's re-check of the decision disagreed with the
    /// browser's: what differs. The ticket says so, so that staff see a
    /// tampered request.
    pub flagged: Option<String>,
    /// The parsed request, for field mappings ([`Ticket::field`]).
    pub request: Request,
}

impl Ticket {
    /// The ticket for `request`, stored under `reference`; `ruleset` (the
    /// partner's) gives the severities' order, `flagged` the verification's
    /// disagreement.
    pub fn new(
        request: Request,
        request_json: String,
        reference: String,
        ruleset: Option<&Ruleset>,
        flagged: Option<String>,
    ) -> Ticket {
        let position = request
            .problem
            .severity
            .as_ref()
            .and_then(|s| ruleset.and_then(|r| r.severities.iter().position(|x| &x.id == s)));
        let mut body = String::new();
        if let Some(why) = &flagged {
            body.push_str(&format!(
                "WARNING: the relay's re-check of this request's decision disagrees with the browser's ({why}). The request may have been altered; check it before acting on the decision.\n\n"
            ));
        }
        body.push_str(&format!("Frontline reference: {reference}\n"));
        body.push_str(&plain_text(&request));
        Ticket {
            frontline_id: request.id.clone(),
            reference,
            title: request.problem.title.clone(),
            body,
            priority: Priority::of_position(position),
            request_json,
            flagged,
            request,
        }
    }

    /// A field of the request as text, for configured custom fields.
    pub fn field(&self, f: RequestField) -> String {
        f.value(&self.request)
    }

    /// The customer's name.
    pub fn name(&self) -> &str {
        &self.request.contact.name
    }

    /// The customer's e-mail address.
    pub fn email(&self) -> &str {
        &self.request.contact.email
    }

    /// The customer's company.
    pub fn company(&self) -> &str {
        &self.request.organisation.company
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_map_by_their_order() {
        assert_eq!(Priority::of_position(Some(0)), Priority::Urgent);
        assert_eq!(Priority::of_position(Some(1)), Priority::High);
        assert_eq!(Priority::of_position(Some(2)), Priority::Normal);
        assert_eq!(Priority::of_position(Some(5)), Priority::Low);
        assert_eq!(Priority::of_position(None), Priority::Normal);
    }

    #[test]
    fn a_flagged_ticket_says_so_first() {
        let mut r = Request::example();
        r.problem.severity = Some("A".into());
        let rules =
            frontline_core::load(include_str!("../../../../public/rules/default.json")).unwrap();
        let t = Ticket::new(
            r.clone(),
            String::new(),
            "FL-000007".into(),
            Some(&rules),
            Some("handler differs".into()),
        );
        assert!(
            t.body.starts_with("WARNING: the relay's re-check"),
            "{}",
            t.body
        );
        assert!(t.body.contains("Frontline reference: FL-000007\n"));
        assert!(t.body.contains(&r.problem.description));
        assert_eq!(t.priority, Priority::Urgent);
        let t = Ticket::new(r, String::new(), "FL-000008".into(), None, None);
        assert!(t.body.starts_with("Frontline reference: FL-000008"));
        assert_eq!(t.priority, Priority::Normal);
    }
}
