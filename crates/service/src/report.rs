//! What `motcua check-config` says about a valid config: the hall, each line with its
//! hours and the counters that call it, and which optional parts are switched on.

use motcua_core::message::DUE_SOON;

use crate::config::Config;

/// What a valid config still gets wrong for a working hall: a line no counter calls
/// (its citizens would wait for ever). `check-config` fails on these; `serve` warns.
pub fn problems(config: &Config) -> Vec<String> {
    let layout = &config.layout;
    layout
        .services
        .iter()
        .filter(|s| !layout.counters.iter().any(|c| c.services.contains(&s.code)))
        .map(|s| {
            format!(
                "line {} ({}) is called by no counter: its tickets would never be called; \
                 add \"{}\" to a counter's services",
                s.code, s.name.vi, s.code
            )
        })
        .collect()
}

/// A few lines a hall manager reads to see the config says what they meant.
pub fn describe(config: &Config) -> String {
    let layout = &config.layout;
    let mut lines = Vec::new();
    lines.push(format!(
        "hall: {} ({})",
        layout.hall.name,
        layout.hall.time_zone.name()
    ));
    for s in &layout.services {
        let counters: Vec<String> = layout
            .counters
            .iter()
            .filter(|c| c.services.contains(&s.code))
            .map(|c| c.id.to_string())
            .collect();
        let limit = s
            .daily_limit
            .map(|l| format!(", {l} a day"))
            .unwrap_or_default();
        lines.push(format!(
            "  {} {:<6} {} — {}{}; counters {}",
            s.prefix,
            s.code,
            s.name.vi,
            s.hours.describe_in(true),
            limit,
            if counters.is_empty() {
                "none (nobody can call this line!)".into()
            } else {
                counters.join(", ")
            }
        ));
    }
    lines.push(format!("tokens: {}", config.tokens.len()));
    let d = &config.dossiers;
    lines.push(format!(
        "results: return line {}; names and phones erased {} days after a dossier closes",
        d.return_service.as_deref().unwrap_or("none"),
        d.personal_data_days
    ));
    lines.push(match config.ratings.reasons.as_slice() {
        [] => "not satisfied: no reasons asked".into(),
        reasons => format!("not satisfied: asked why ({})", reasons.join(" / ")),
    });
    lines.push(match &config.upstream {
        Some(u) => format!(
            "province system: {}{} every {} s{}",
            u.base_url,
            u.changes_path,
            u.interval_seconds,
            trust(&u.base_url, u.ca_file.as_deref())
        ),
        None => "province system: none (dossiers come from staff and pushes)".into(),
    });
    lines.push(match &config.notify {
        Some(n) => notifications(n),
        None => "notifications: none".into(),
    });
    for c in layout.counters.iter().filter(|c| c.printer.is_some()) {
        lines.push(format!(
            "receipt printer at {}: {}",
            c.name,
            c.printer.as_deref().unwrap_or("")
        ));
    }
    lines.push(String::new());
    lines.join("\n")
}

/// Tries the province's system and the gateway once, as the service will: whether
/// they answer, or why not (an unknown certificate issuer, a wrong name, expired,
/// refused, no answer in time). One line each; nothing is sent.
pub async fn probe(config: &Config) -> Vec<String> {
    let mut targets = Vec::new();
    if let Some(u) = &config.upstream {
        targets.push(("province system", u.base_url.clone(), u.ca_file.clone()));
    }
    if let Some(n) = &config.notify {
        targets.extend(n.endpoints());
    }
    let mut lines = Vec::new();
    for (what, url, ca_file) in targets {
        let client = motcua_net::client(&motcua_net::Options {
            ca_file,
            connect_timeout: Some(std::time::Duration::from_secs(5)),
            timeout: Some(std::time::Duration::from_secs(10)),
            read_timeout: None,
        });
        let said = match client {
            Err(e) => format!("cannot try it: {e}"),
            // Any HTTP answer means the link and its certificate are good.
            Ok(c) => match c.head(&url).send().await {
                Ok(res) => format!("answers (HTTP {})", res.status().as_u16()),
                Err(e) => format!("NOT reached: {}", motcua_net::describe(&e)),
            },
        };
        lines.push(format!("{what} {url}: {said}"));
    }
    lines
}

/// How messages go, which kinds, and what the service will miss in its environment.
fn notifications(n: &crate::notify::Notify) -> String {
    use crate::notify::Channel;
    let m = &n.messages;
    let kinds: Vec<String> = n
        .kinds()
        .into_iter()
        .map(|k| {
            let zalo = n
                .zalo
                .as_ref()
                .and_then(|z| z.templates.get(&k))
                .map(|t| format!(" [Zalo template {}]", t.template_id))
                .unwrap_or_default();
            if k == DUE_SOON {
                format!(
                    "{k} ({} h before, {:02}:00–{:02}:00){zalo}",
                    m.due_soon_hours, m.send_hours[0], m.send_hours[1]
                )
            } else {
                format!("{k}{zalo}")
            }
        })
        .collect();
    let sms = |s: &crate::notify::Sms| {
        format!(
            "SMS brandname {} by eSMS{}{}",
            s.brandname,
            if s.sandbox {
                " (sandbox: nothing is sent)"
            } else {
                ""
            },
            trust(&s.api_url, s.ca_file.as_deref())
        )
    };
    let how = match (n.channel, &n.webhook, &n.zalo, &n.sms) {
        (Channel::Webhook, Some(w), _, _) => {
            format!("{}{}", w.url, trust(&w.url, w.ca_file.as_deref()))
        }
        (Channel::ZaloZns, _, Some(z), s) => format!(
            "Zalo ZNS (app {}){}{}",
            z.app_id,
            trust(&z.api_url, z.ca_file.as_deref()),
            match s {
                Some(s) => format!(", then {} for who is not on Zalo", sms(s)),
                None => ", no SMS for who is not on Zalo".into(),
            }
        ),
        (_, _, _, Some(s)) => sms(s),
        _ => "?".into(),
    };
    let missing = n.missing_env();
    let missing = if missing.is_empty() {
        String::new()
    } else {
        format!(
            "\n  NOT SET in this environment (the service needs them): {}",
            missing.join(", ")
        )
    };
    format!("notifications: {how} — {}{missing}", kinds.join(", "))
}

/// Which certificates an https address is checked against.
fn trust(url: &str, ca_file: Option<&std::path::Path>) -> String {
    match (url.starts_with("https:"), ca_file) {
        (false, _) => " (plain http: nothing is encrypted)".into(),
        (true, None) => " (https, the system's certificates)".into(),
        (true, Some(ca)) => format!(" (https, the system's certificates and {})", ca.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use motcua_core::layout::SAMPLE_CONFIG;

    #[test]
    fn the_sample_config_is_described_line_by_line() {
        let config = Config::parse(SAMPLE_CONFIG, "sample").unwrap();
        let text = describe(&config);
        assert!(
            text.starts_with(&format!(
                "hall: {} (Asia/Ho_Chi_Minh)\n",
                config.layout.hall.name
            )),
            "{text}"
        );
        // Every line, with its hours in Vietnamese and who calls it.
        for s in &config.layout.services {
            let row = text
                .lines()
                .find(|l| {
                    l.trim_start()
                        .starts_with(&format!("{} {:<6}", s.prefix, s.code))
                })
                .unwrap_or_else(|| panic!("no row for {}: {text}", s.code));
            assert!(
                row.contains(&s.name.vi) && row.contains("counters "),
                "{row}"
            );
        }
        assert!(text.contains(&format!("tokens: {}\n", config.tokens.len())));
        assert!(
            text.contains("not satisfied: asked why (Chờ lâu / "),
            "{text}"
        );
    }

    #[test]
    fn a_line_nobody_calls_and_the_optional_parts_are_said() {
        let text = "[hall]\nname = \"UBND xã Thử Nghiệm\"\n\
            [[services]]\ncode = \"HT\"\nprefix = \"A\"\nname = { vi = \"Hộ tịch\" }\n\
            daily_limit = 50\n\
            [[services]]\ncode = \"DD\"\nprefix = \"D\"\nname = { vi = \"Đất đai\" }\n\
            [[counters]]\nid = 1\nservices = [\"HT\"]\nprinter = \"sim:/tmp/q1\"\n\
            [ratings]\nreasons = []\n\
            [upstream]\nbase_url = \"https://motcua.example.gov.vn/api\"\n\
            [notify]\nwebhook_url = \"https://gw.example.vn/send\"\n\
            [notify.templates]\ndue_soon = \"Ho so {code} hen tra {due}\"\n";
        let config = Config::parse(text, "x.toml").unwrap();
        let said = describe(&config);
        assert!(
            said.contains("A HT     Hộ tịch — cả ngày, 50 a day; counters 1"),
            "{said}"
        );
        assert!(
            said.contains("D DD     Đất đai — cả ngày; counters none (nobody can call this line!)"),
            "{said}"
        );
        assert!(said.contains("not satisfied: no reasons asked"), "{said}");
        assert!(
            said.contains(
                "province system: https://motcua.example.gov.vn/api/changes every 60 s \
                 (https, the system's certificates)"
            ),
            "{said}"
        );
        assert!(
            said.contains(
                "notifications: https://gw.example.vn/send (https, the system's certificates) — \
                 result_ready, due_soon (3 h before, 07:00–21:00)"
            ),
            "{said}"
        );
        assert!(
            said.contains("receipt printer at Quầy 1: sim:/tmp/q1"),
            "{said}"
        );
        assert!(said.contains("results: return line none; names and phones erased 30 days"));
    }

    #[test]
    fn zalo_with_sms_behind_it_is_described_with_what_the_environment_lacks() {
        let text = format!(
            "{SAMPLE_CONFIG}\n[notify]\nchannel = \"zalo_zns\"\n\
             [notify.zalo]\napp_id = \"4318\"\nsecret_key_env = \"MOTCUA_TEST_UNSET_ZALO_SECRET\"\n\
             refresh_token_env = \"MOTCUA_TEST_UNSET_ZALO_REFRESH\"\n\
             [notify.zalo.templates.result_ready]\ntemplate_id = \"312345\"\n\
             data = {{ ma_ho_so = \"{{code}}\" }}\n\
             [notify.sms]\nprovider = \"esms\"\nbrandname = \"UBND-HOABINH\"\nsandbox = true\n\
             api_key_env = \"MOTCUA_TEST_UNSET_ESMS_KEY\"\nsecret_key_env = \"MOTCUA_TEST_UNSET_ESMS_SECRET\"\n"
        );
        let config = Config::parse(&text, "x.toml").unwrap();
        let said = describe(&config);
        assert!(
            said.contains(
                "notifications: Zalo ZNS (app 4318) (https, the system's certificates), then SMS \
                 brandname UBND-HOABINH by eSMS (sandbox: nothing is sent) (https, the system's \
                 certificates) for who is not on Zalo — result_ready [Zalo template 312345]"
            ),
            "{said}"
        );
        assert!(
            said.contains(
                "NOT SET in this environment (the service needs them): MOTCUA_TEST_UNSET_ZALO_SECRET, \
                 MOTCUA_TEST_UNSET_ZALO_REFRESH, MOTCUA_TEST_UNSET_ESMS_KEY, MOTCUA_TEST_UNSET_ESMS_SECRET"
            ),
            "{said}"
        );
    }
}
