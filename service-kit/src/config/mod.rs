//! Parsing and checking configuration values, one way for every binary: the same duration
//! grammar, address form and messages everywhere. Each parser is a clap value parser (clap
//! puts the flag and the value in front of the message), and each message says what would
//! be accepted.

pub mod address;
pub mod duration;
pub mod number;
pub mod path;

pub use address::{AddressList, parse_address_list, parse_socket_addr};
pub use duration::{DurationError, HumanDuration, duration_between, parse_duration};
pub use number::at_least_one;
pub use path::check_parent_dir;
