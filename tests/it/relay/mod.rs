//! The relay: claims, hand-offs and their outcomes step by step, wake-ups, and real relay
//! processes draining, being killed and being stopped.

mod claims;
mod failures;
mod hand_offs;
mod modes;
mod processes;
mod wakeups;
