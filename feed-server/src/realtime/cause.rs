//! Why a disruption happens and what it does to service: the closed sets of
//! GTFS-Realtime's Alert `cause` and `effect`. Every notice source uses them
//! (GTFS-RT alerts, and operators, whose notices are GTFS-RT alerts in the
//! export); on the wire they are written in lower snake case
//! (`technical_problem`, `no_service`).

use std::fmt;
use std::str::FromStr;

use gtfs_realtime::alert::{Cause as RtCause, Effect as RtEffect};

macro_rules! closed_set {
    ($(#[$doc:meta])* $name:ident, $rt:ident, [$($variant:ident = $text:literal),* $(,)?]) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant),*
        }

        impl $name {
            pub const ALL: &[$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),*
                }
            }

            /// As GTFS-Realtime encodes it.
            pub fn to_gtfs_rt(self) -> $rt {
                match self {
                    $($name::$variant => $rt::$variant),*
                }
            }

            pub fn from_gtfs_rt(value: $rt) -> $name {
                match value {
                    $($rt::$variant => $name::$variant),*
                }
            }

            /// Every value, comma-separated, for error messages.
            pub fn list() -> String {
                $name::ALL
                    .iter()
                    .map(|v| v.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        }

        impl FromStr for $name {
            type Err = ();
            fn from_str(s: &str) -> Result<$name, ()> {
                match s {
                    $($text => Ok($name::$variant),)*
                    _ => Err(()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

closed_set!(
    /// GTFS-Realtime `Alert.Cause`.
    Cause,
    RtCause,
    [
        UnknownCause = "unknown_cause",
        OtherCause = "other_cause",
        TechnicalProblem = "technical_problem",
        Strike = "strike",
        Demonstration = "demonstration",
        Accident = "accident",
        Holiday = "holiday",
        Weather = "weather",
        Maintenance = "maintenance",
        Construction = "construction",
        PoliceActivity = "police_activity",
        MedicalEmergency = "medical_emergency",
    ]
);

closed_set!(
    /// GTFS-Realtime `Alert.Effect`.
    Effect,
    RtEffect,
    [
        NoService = "no_service",
        ReducedService = "reduced_service",
        SignificantDelays = "significant_delays",
        Detour = "detour",
        AdditionalService = "additional_service",
        ModifiedService = "modified_service",
        OtherEffect = "other_effect",
        UnknownEffect = "unknown_effect",
        StopMoved = "stop_moved",
        NoEffect = "no_effect",
        AccessibilityIssue = "accessibility_issue",
    ]
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_spelling_is_the_gtfs_rt_name_in_lower_case() {
        for c in Cause::ALL {
            assert_eq!(
                c.as_str(),
                c.to_gtfs_rt().as_str_name().to_ascii_lowercase()
            );
            assert_eq!(c.as_str().parse::<Cause>(), Ok(*c));
        }
        for e in Effect::ALL {
            assert_eq!(
                e.as_str(),
                e.to_gtfs_rt().as_str_name().to_ascii_lowercase()
            );
            assert_eq!(Effect::from_gtfs_rt(e.to_gtfs_rt()), *e);
        }
        assert!("strikes".parse::<Cause>().is_err());
    }
}
