use std::fmt;
use std::str::FromStr;

/// The statistics the query API serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum StatType {
    Average,
    Min,
    Max,
    Median,
}

impl StatType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Average => "average",
            Self::Min => "min",
            Self::Max => "max",
            Self::Median => "median",
        }
    }
}

impl FromStr for StatType {
    type Err = ();

    fn from_str(text: &str) -> Result<Self, ()> {
        match text {
            "average" => Ok(Self::Average),
            "min" => Ok(Self::Min),
            "max" => Ok(Self::Max),
            "median" => Ok(Self::Median),
            _ => Err(()),
        }
    }
}

impl fmt::Display for StatType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
