//! The one line a binary prints when it cannot start or run: the error and its causes, each
//! said once. Error types that print their source in their own message (`"...: {source}"`)
//! would otherwise repeat it, once per layer.

use std::error::Error;

/// `outer: cause: root cause`, with every repeated message left out.
pub fn error_message(err: &(dyn Error + 'static)) -> String {
    let mut messages: Vec<String> = std::iter::successors(Some(err), |&err| err.source())
        .map(ToString::to_string)
        .collect();
    // A wrapper that ends with its source's message keeps only its own part.
    for i in 1..messages.len() {
        let (outer, inner) = messages.split_at_mut(i);
        let outer = &mut outer[i - 1];
        if let Some(own) = outer.strip_suffix(inner[0].as_str()) {
            *outer = own.trim_end_matches([':', ' ']).to_owned();
        }
    }
    // A layer whose last part a deeper cause repeats (`X: failed` above `X: code 14: failed`)
    // leaves that part to the deeper cause.
    for i in 1..messages.len() {
        let (outer, inner) = messages.split_at_mut(i);
        let outer = &mut outer[i - 1];
        let tail_start = outer.rfind(": ").map_or(0, |at| at + 2);
        let tail = &outer[tail_start..];
        if !tail.is_empty() && inner[0].ends_with(tail) && inner[0].len() > tail.len() {
            outer.truncate(tail_start);
            *outer = outer.trim_end_matches([':', ' ']).to_owned();
        }
    }
    let mut said: Vec<String> = Vec::new();
    for mut message in messages {
        // A last part already said (a path, the words of the root cause) is not said again.
        if let Some(at) = message.rfind(": ")
            && said
                .iter()
                .any(|earlier| earlier.contains(&message[at + 2..]))
        {
            message.truncate(at);
        }
        if !message.is_empty() && !said.iter().any(|earlier| earlier.contains(&message)) {
            said.push(message);
        }
    }
    said.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Layer(String, Option<Box<Layer>>);

    impl std::fmt::Display for Layer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(&self.0)
        }
    }

    impl Error for Layer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            self.1
                .as_deref()
                .map(|layer| layer as &(dyn Error + 'static))
        }
    }

    fn chain(messages: &[&str]) -> Layer {
        messages
            .iter()
            .rev()
            .fold(None, |inner, message| {
                Some(Layer(message.to_string(), inner.map(Box::new)))
            })
            .unwrap()
    }

    #[test]
    fn a_cause_printed_by_every_layer_is_said_once() {
        // What a read-only SQLite database used to print: the same words three times.
        let err = chain(&[
            "opening database /ro/hw.db",
            "SQLite error: unable to open database file",
            "unable to open database file",
            "Error code 14: unable to open database file",
        ]);
        assert_eq!(
            error_message(&err),
            "opening database /ro/hw.db: SQLite error: Error code 14: unable to open database file"
        );
    }

    #[test]
    fn a_path_repeated_by_every_layer_is_said_once() {
        // What metrics printed for a database on a read-only file system.
        let err = chain(&[
            "cannot start metrics",
            "cannot open database /ro/m.db",
            "database /ro/m.db: unable to open database file: /ro/m.db",
            "unable to open database file: /ro/m.db",
            "Error code 14: unable to open database file",
        ]);
        assert_eq!(
            error_message(&err),
            "cannot start metrics: cannot open database /ro/m.db: unable to open database file: \
             Error code 14"
        );
    }

    #[test]
    fn distinct_causes_are_all_kept_in_order() {
        let err = chain(&["starting", "binding 127.0.0.1:80", "permission denied"]);
        assert_eq!(
            error_message(&err),
            "starting: binding 127.0.0.1:80: permission denied"
        );
    }
}
