//! `owner/name`, as in `GITHUB_REPOSITORY`.

use std::fmt;

use crate::error::SetupError;

/// A repository on GitHub, checked against the characters GitHub allows in names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    /// The user or organization.
    pub owner: String,
    /// The repository's name.
    pub name: String,
}

impl Repository {
    /// `value` split at its one `/`, each part made of letters, digits, `-`, `_` and `.`,
    /// and neither `.` nor `..` (they would walk the API's paths).
    ///
    /// # Errors
    /// [`SetupError::InvalidRepository`].
    pub fn parse(value: &str) -> Result<Self, SetupError> {
        let invalid = || SetupError::InvalidRepository {
            value: value.to_owned(),
        };
        let (owner, name) = value.trim().split_once('/').ok_or_else(invalid)?;
        let valid = |part: &str| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        };
        if valid(owner) && valid(name) {
            Ok(Repository {
                owner: owner.to_owned(),
                name: name.to_owned(),
            })
        } else {
            Err(invalid())
        }
    }
}

impl fmt::Display for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_are_owner_slash_name() {
        let repository = Repository::parse("acme/shop.api").unwrap();
        assert_eq!(
            (repository.owner.as_str(), repository.name.as_str()),
            ("acme", "shop.api")
        );
        assert_eq!(repository.to_string(), "acme/shop.api");
        for bad in [
            "", "acme", "acme/", "/shop", "a/b/c", "a b/c", "acme/..", "a/?x", "./x", "o w/r",
        ] {
            let error = Repository::parse(bad).unwrap_err();
            assert!(
                error.to_string().contains("GITHUB_REPOSITORY"),
                "{bad:?}: {error}"
            );
        }
    }
}
