//! HTML: templates, embedded assets and the rendered-page cache.

pub mod assets;
pub mod cache;
pub mod export;
pub mod freshness;
pub mod profile_page;
pub mod trend;
pub mod view;

pub use cache::{PageCache, RenderedPage};
pub use view::{ErrorPage, PageContext, render_dashboard};
