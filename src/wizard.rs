//! The customer's journey through the wizard, as plain data.
//!
//! State flows one way: the journey holds only what the customer chose (the
//! transcript); the screen to show is computed from it by the rules core.
//! Going back is undoing the last choice. No web types: tested natively.

use frontline_core::{evaluate, EvalError, Ruleset, Step, Transcript};
use serde::{Deserialize, Serialize};

/// What the customer has done so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journey {
    /// The customer left the welcome screen.
    pub started: bool,
    /// Product, kind of problem and answers, in order.
    pub transcript: Transcript,
}

/// What the wizard shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Screen {
    /// Who the partner is, what it supports, whether it is open.
    Welcome,
    /// The next step the rules ask for, or their decision.
    Step(Step),
    /// The journey does not fit the ruleset (it changed since it was saved).
    Broken(EvalError),
}

/// Where the customer is, for the progress indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// The welcome screen.
    Welcome,
    /// Choosing the product.
    Product,
    /// Choosing the kind of problem.
    Problem,
    /// Answering questions and trying self-help.
    Diagnosis,
    /// Reading who handles it (or that it is solved).
    Answer,
}

impl Stage {
    /// Every stage, in order.
    pub const ALL: [Stage; 5] = [
        Stage::Welcome,
        Stage::Product,
        Stage::Problem,
        Stage::Diagnosis,
        Stage::Answer,
    ];
}

impl Screen {
    /// The stage this screen belongs to.
    pub fn stage(&self) -> Stage {
        match self {
            Screen::Welcome => Stage::Welcome,
            Screen::Step(Step::ChooseProduct { .. }) => Stage::Product,
            Screen::Step(Step::ChooseKind { .. }) => Stage::Problem,
            Screen::Step(Step::Ask { .. }) | Screen::Broken(_) => Stage::Diagnosis,
            Screen::Step(Step::Resolved { .. } | Step::Outcome(_)) => Stage::Answer,
        }
    }
}

impl Journey {
    /// The screen for this journey under `rules`.
    pub fn screen(&self, rules: &Ruleset) -> Screen {
        if !self.started {
            return Screen::Welcome;
        }
        match evaluate(rules, &self.transcript) {
            Ok(step) => Screen::Step(step),
            Err(error) => Screen::Broken(error),
        }
    }

    /// Leaves the welcome screen.
    pub fn start(&mut self) {
        self.started = true;
    }

    /// Chooses the product, forgetting anything chosen after it.
    pub fn choose_product(&mut self, product: &str) {
        self.transcript = Transcript {
            product: Some(product.to_owned()),
            ..Transcript::default()
        };
    }

    /// Chooses the kind of problem, forgetting the answers given after it.
    pub fn choose_kind(&mut self, kind: &str) {
        self.transcript.kind = Some(kind.to_owned());
        self.transcript.answers.clear();
        self.transcript.severity = None;
    }

    /// Answers the node on screen.
    pub fn answer(&mut self, node: &str, answer: &str) {
        self.transcript = std::mem::take(&mut self.transcript).answer(node, answer);
    }

    /// Undoes the last choice. Returns false on the welcome screen, where
    /// there is nothing to undo.
    pub fn back(&mut self) -> bool {
        let t = &mut self.transcript;
        if t.severity.take().is_some() || t.answers.pop().is_some() || t.kind.take().is_some() {
            return true;
        }
        if t.product.take().is_some() {
            return true;
        }
        std::mem::replace(&mut self.started, false)
    }

    /// Starts over from the welcome screen.
    pub fn restart(&mut self) {
        *self = Journey::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use frontline_core::Handler;

    fn rules() -> Ruleset {
        frontline_core::load(include_str!("../public/rules/default.json")).unwrap()
    }

    fn outcome(screen: Screen) -> Box<frontline_core::Outcome> {
        match screen {
            Screen::Step(Step::Outcome(o)) => o,
            other => panic!("expected an outcome, got {other:?}"),
        }
    }

    #[test]
    fn a_journey_walks_welcome_product_kind_diagnosis_outcome() {
        let rules = rules();
        let mut j = Journey::default();
        assert_eq!(j.screen(&rules), Screen::Welcome);
        j.start();
        assert_eq!(j.screen(&rules).stage(), Stage::Product);
        j.choose_product("m365");
        assert_eq!(j.screen(&rules).stage(), Stage::Problem);
        j.choose_kind("billing");
        let Screen::Step(Step::Ask { node }) = j.screen(&rules) else {
            panic!("expected a question")
        };
        assert_eq!(j.screen(&rules).stage(), Stage::Diagnosis);
        j.answer(&node, "dispute");
        assert_eq!(outcome(j.screen(&rules)).handler, Handler::VendorCommercial);
    }

    #[test]
    fn back_undoes_one_choice_at_a_time_down_to_the_welcome_screen() {
        let rules = rules();
        let mut j = Journey::default();
        j.start();
        j.choose_product("m365");
        j.choose_kind("billing");
        j.answer("billing-what", "dispute");
        let stages: Vec<Stage> =
            std::iter::from_fn(|| j.back().then(|| j.screen(&rules).stage())).collect();
        assert_eq!(
            stages,
            [
                Stage::Diagnosis,
                Stage::Problem,
                Stage::Product,
                Stage::Welcome
            ]
        );
        assert!(!j.back(), "nothing left to undo");
    }

    #[test]
    fn choosing_again_forgets_what_came_after() {
        let mut j = Journey::default();
        j.start();
        j.choose_product("m365");
        j.choose_kind("billing");
        j.answer("billing-what", "dispute");
        j.choose_kind("technical");
        assert!(j.transcript.answers.is_empty());
        j.choose_product("azure");
        assert_eq!(j.transcript.kind, None);
    }

    #[test]
    fn a_journey_that_no_longer_fits_the_rules_is_reported_not_panicked() {
        let rules = rules();
        let mut j = Journey::default();
        j.start();
        j.choose_product("no-such-product");
        assert!(matches!(j.screen(&rules), Screen::Broken(_)));
    }

    #[test]
    fn a_journey_survives_a_round_trip_through_storage() {
        let mut j = Journey::default();
        j.start();
        j.choose_product("azure");
        let saved = serde_json::to_string(&j).unwrap();
        assert_eq!(serde_json::from_str::<Journey>(&saved).unwrap(), j);
    }
}
