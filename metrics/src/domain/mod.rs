//! Values that parse themselves: a message line, a UTC hour, a stat type, a query path.

pub mod event;
pub mod hour;
pub mod message;
pub mod query_path;
pub mod stat;

pub use event::{Event, EventCursor, EventPageQuery, EventSelector, Micros, StoredEvent};
pub use hour::UtcHour;
pub use message::{MessageError, parse_line};
pub use query_path::{QueryPath, QueryPathError};
pub use stat::StatType;
