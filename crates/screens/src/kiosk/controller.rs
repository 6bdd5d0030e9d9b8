//! What the kiosk does, without a window: which screen shows, what a tap means,
//! what to ask the hall service and the printer, and what to tell the citizen when
//! something goes wrong. The window adapter renders this state and forwards taps;
//! network and printer work happen elsewhere and come back as results.

use motcua_api::{CounterView, ServiceView, TicketView};
use motcua_client::ClientError;
use motcua_core::catalogue::Procedure;
use motcua_core::domain::{CounterId, Localized};
use motcua_hardware::printer::Health;

/// How long the ticket stays on screen after printing, in milliseconds.
pub const TICKET_SCREEN_MS: u64 = 12_000;
/// Longer when the paper did not come out: the citizen must note the number.
pub const TICKET_SCREEN_NO_PAPER_MS: u64 = 40_000;
/// Any screen but home goes back home after this long without a touch.
pub const IDLE_MS: u64 = 60_000;
/// How often the lines' state is fetched again.
pub const REFRESH_MS: u64 = 10_000;
/// And while the service does not answer: it is noticed soon when it is back.
pub const REFRESH_AWAY_MS: u64 = 3_000;
/// After the service has not answered for this long (not one lost packet), a kiosk
/// with a series gives out tickets on its own.
pub const OFFLINE_AFTER_MS: u64 = 4_000;
/// How often the printer's condition is told to the hall service even unchanged, so
/// a restarted service learns it again.
pub const REPORT_MS: u64 = 60_000;
/// Dossier codes are at most this long (see the domain notes: ≤ 40).
pub const MAX_CODE_LEN: usize = 40;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Vi,
    En,
}

impl Lang {
    /// The bundled translation the screens speak in: none for Vietnamese, the source.
    pub fn translation(self) -> &'static str {
        match self {
            Lang::Vi => "",
            Lang::En => "en",
        }
    }

    pub fn text(self, l: &Localized) -> String {
        match self {
            Lang::Vi => l.vi.clone(),
            Lang::En => l.en.clone().unwrap_or_else(|| l.vi.clone()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    Home,
    Priority,
    Ticket,
    Lookup,
    Procedures,
}

/// What the service tells a kiosk about its hall.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    pub hall_name: String,
    pub priority_groups: Vec<PriorityChoice>,
    pub services: Vec<ServiceView>,
    pub procedures: Vec<Procedure>,
    /// The counters and the lines each calls from: where a ticket will be called.
    pub counters: Vec<CounterView>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrintState {
    Printing,
    Printed,
    /// Not on paper: the citizen keeps the number from the screen.
    Failed(Health),
}

/// Work for the outside world.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    Issue {
        service: String,
        priority: Option<String>,
    },
    /// The service is away: a ticket from the kiosk's own journal.
    IssueOffline {
        service: String,
        priority: Option<String>,
    },
    /// Send the journal's tickets to the service, oldest first.
    Replay,
    Print(Box<TicketView>),
    /// Look a dossier up, with the ID digits when it asked for them.
    Lookup {
        code: String,
        id: Option<String>,
    },
    /// A result-return ticket for this dossier.
    IssueReturn(String),
    Refresh,
    /// Tell the hall service how the printer is, so staff see it.
    ReportPrinter(Health),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriorityChoice {
    pub code: String,
    pub name: Localized,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issued {
    pub ticket: TicketView,
    pub service_name: Localized,
    pub print: PrintState,
    pub shown_ms: u64,
}

pub struct Kiosk {
    pub lang: Lang,
    /// "Chữ to": large type and strong contrast, for this citizen only.
    pub large_text: bool,
    pub screen: Screen,
    pub hall_name: String,
    pub services: Vec<ServiceView>,
    pub priority_groups: Vec<PriorityChoice>,
    /// False after the service failed to answer; true again on its next answer.
    pub connected: bool,
    /// A ticket is being asked for: further taps wait.
    pub busy: bool,
    pub chosen: Option<String>,
    pub issued: Option<Issued>,
    /// A message for the citizen on the home screen (a refusal, the service away).
    pub notice: Option<Message>,
    pub lookup_input: String,
    pub lookup_result: Option<Message>,
    /// The dossier looked up has its result ready: one tap gives a return ticket.
    pub lookup_ready: Option<String>,
    /// The dossier asked for the last 4 digits of the citizen's ID card: its code.
    pub id_for: Option<String>,
    /// Those digits as typed.
    pub id_digits: String,
    /// The code in the field was looked up: the next code typed or scanned replaces
    /// it rather than joining its end.
    submitted: bool,
    pub procedures: Vec<Procedure>,
    pub counters: Vec<CounterView>,
    /// On the procedures screen: the line chosen, then the procedure chosen.
    pub procedure_line: Option<String>,
    pub procedure: Option<String>,
    pub printer: Health,
    idle_ms: u64,
    since_refresh_ms: u64,
    since_report_ms: u64,
    /// The last thing that went wrong (the service away, a ticket not printed), for
    /// the minute's report to staff.
    pub last_trouble: Option<String>,
    /// The series of the tickets this kiosk gives out on its own (`K1`), when it has
    /// one and a journal to keep them in; without, it gives none while the service
    /// is away.
    pub series: Option<String>,
    /// Tickets in the journal not yet placed in the queue.
    pub journal_waiting: usize,
    /// They are being sent.
    replaying: bool,
    /// How long the service has not answered, while it has not.
    away_ms: Option<u64>,
    /// The ticket being asked for (line, priority group) and for how long.
    asking: Option<(String, Option<String>)>,
    asking_ms: u64,
    /// Ask for it again on the next tick: the service did not answer, but has not been
    /// away long enough to give a ticket without it.
    retry: bool,
}

/// What the kiosk tells a citizen. The hall's own words come as they are; the kiosk's
/// own sentences are named here and worded by the screens (`@tr`), in either language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// The hall service's words: a refusal's reason, a dossier's status.
    Hall(Localized),
    /// The service cannot be reached: no tickets for now.
    ServiceAway,
    /// The service cannot be reached, and the kiosk gives tickets on its own.
    Offline,
    /// The line chosen is not giving tickets now.
    LineClosed { name: Localized, hours: Localized },
    /// The service refused a ticket without saying why.
    NoTicket,
    /// No dossier has this code.
    NotFound(String),
    /// The dossier lookup did not answer.
    LookupAway,
}

impl Kiosk {
    pub fn new(hall_name: &str) -> Self {
        Kiosk {
            lang: Lang::Vi,
            large_text: false,
            screen: Screen::Home,
            hall_name: hall_name.to_owned(),
            services: Vec::new(),
            priority_groups: Vec::new(),
            connected: true,
            busy: false,
            chosen: None,
            issued: None,
            notice: None,
            lookup_input: String::new(),
            lookup_result: None,
            lookup_ready: None,
            id_for: None,
            id_digits: String::new(),
            submitted: false,
            procedures: Vec::new(),
            counters: Vec::new(),
            procedure_line: None,
            procedure: None,
            printer: Health::Unknown,
            idle_ms: 0,
            since_refresh_ms: 0,
            since_report_ms: 0,
            last_trouble: None,
            series: None,
            journal_waiting: 0,
            replaying: false,
            away_ms: None,
            asking: None,
            asking_ms: 0,
            retry: false,
        }
    }

    /// A touch or a key: the citizen is still here.
    pub fn touched(&mut self) {
        self.idle_ms = 0;
    }

    pub fn set_lang(&mut self, lang: Lang) {
        self.touched();
        self.lang = lang;
    }

    pub fn set_large_text(&mut self, on: bool) {
        self.touched();
        self.large_text = on;
    }

    /// The citizen is done (their ticket was shown, or they walked away): the next
    /// one is met as everyone is, in Vietnamese and ordinary type.
    fn next_citizen(&mut self) {
        self.lang = Lang::Vi;
        self.large_text = false;
    }

    pub fn go_home(&mut self) {
        // The citizen who took the ticket is done: the next one is met in Vietnamese.
        if self.screen == Screen::Ticket {
            self.next_citizen();
        }
        self.screen = Screen::Home;
        self.chosen = None;
        self.issued = None;
        self.lookup_input.clear();
        self.submitted = false;
        self.lookup_result = None;
        self.lookup_ready = None;
        self.id_for = None;
        self.id_digits.clear();
        self.procedure_line = None;
        self.procedure = None;
    }

    /// The hall and its lines as the service last told them.
    pub fn loaded(&mut self, result: Result<Loaded, ClientError>) {
        match result {
            Ok(l) => {
                self.remember(l);
                self.reconnected();
            }
            Err(e) => self.lost(&e),
        }
    }

    /// The hall as the service told it before (kept on disk): the kiosk starts with
    /// it, the service away or not.
    pub fn remember(&mut self, l: Loaded) {
        self.hall_name = l.hall_name;
        self.priority_groups = l.priority_groups;
        self.services = l.services;
        self.procedures = l.procedures;
        self.counters = l.counters;
    }

    /// While the service is away the lines open and close by their hours, as the kiosk
    /// reads them: `open_at` says whether a line gives tickets now.
    pub fn reopen(&mut self, open_at: impl Fn(&ServiceView) -> bool) {
        if !self.connected {
            for s in &mut self.services {
                s.open = open_at(s);
            }
        }
    }

    /// Whether the kiosk gives tickets on its own now.
    pub fn offline(&self) -> bool {
        self.series.is_some() && self.away_ms.is_some_and(|ms| ms >= OFFLINE_AFTER_MS)
    }

    /// The counters that will call `ticket`: the one it was sent to, or every counter
    /// that calls from its line.
    pub fn counters_for(&self, ticket: &motcua_core::domain::Ticket) -> Vec<CounterId> {
        match ticket.target_counter {
            Some(id) => vec![id],
            None => self
                .counters
                .iter()
                .filter(|c| c.services.contains(&ticket.service))
                .map(|c| c.id)
                .collect(),
        }
    }

    /// What "Nghe" reads on the screen showing now, as voice clips: the screen's
    /// question and what to touch; on the ticket screen the number, the counters that
    /// will call it and whether to take the paper. (In Vietnamese whatever the screen's
    /// language: the voice pack is Vietnamese.)
    pub fn guide(&self) -> Vec<String> {
        use crate::voice::*;
        let one = |id: &str| vec![id.to_owned()];
        match self.screen {
            Screen::Home => one(GUIDE_HOME),
            Screen::Priority => one(GUIDE_PRIORITY),
            Screen::Lookup if self.id_for.is_some() => one(GUIDE_LOOKUP_ID),
            Screen::Lookup => one(GUIDE_LOOKUP),
            Screen::Procedures => one(GUIDE_PROCEDURES),
            Screen::Ticket => {
                let Some(issued) = &self.issued else {
                    return one(GUIDE_HOME);
                };
                let mut clips = one(GUIDE_YOUR_NUMBER);
                clips.extend(ticket_clips(&issued.ticket.ticket.number));
                let counters = self.counters_for(&issued.ticket.ticket);
                if !counters.is_empty() {
                    clips.push(PAUSE.into());
                    clips.push(GUIDE_WAIT_FOR.into());
                    for (i, c) in counters.iter().enumerate() {
                        if i > 0 {
                            clips.push(GUIDE_AND.into());
                        }
                        clips.extend(number_clips(*c));
                    }
                }
                clips.push(PAUSE.into());
                clips.push(match issued.print {
                    PrintState::Failed(_) => GUIDE_NO_PAPER.into(),
                    _ => GUIDE_TAKE_PAPER.into(),
                });
                clips
            }
        }
    }

    pub fn open_procedures(&mut self) {
        self.touched();
        if self.screen == Screen::Home && !self.procedures.is_empty() {
            self.screen = Screen::Procedures;
            self.procedure_line = None;
            self.procedure = None;
        }
    }

    /// A tap on the procedures screen: a line, then one of its procedures.
    pub fn pick(&mut self, code: &str) {
        self.touched();
        if self.screen != Screen::Procedures {
            return;
        }
        match &self.procedure_line {
            None if self.procedures.iter().any(|p| p.service == code) => {
                self.procedure_line = Some(code.to_owned())
            }
            Some(line)
                if self
                    .procedures
                    .iter()
                    .any(|p| &p.service == line && p.code == code) =>
            {
                self.procedure = Some(code.to_owned());
            }
            _ => {}
        }
    }

    /// One step back on the procedures screen; from its first page, home.
    pub fn back(&mut self) {
        self.touched();
        if self.procedure.take().is_none() && self.procedure_line.take().is_none() {
            self.go_home();
        }
    }

    fn reconnected(&mut self) {
        if !self.connected {
            self.notice = None;
        }
        self.connected = true;
        self.away_ms = None;
    }

    fn lost(&mut self, e: &ClientError) {
        tracing::warn!("kiosk: {e}");
        self.last_trouble = Some(e.to_string());
        self.connected = false;
        self.away_ms.get_or_insert(0);
        self.notice = Some(if self.series.is_some() {
            Message::Offline
        } else {
            Message::ServiceAway
        });
    }

    /// A tap on a line's button.
    pub fn choose_service(&mut self, code: &str) -> Vec<Effect> {
        self.touched();
        if self.busy || self.screen != Screen::Home {
            return Vec::new();
        }
        let Some(service) = self.services.iter().find(|s| s.code == code) else {
            return Vec::new();
        };
        if !service.open {
            self.notice = Some(Message::LineClosed {
                name: service.name.clone(),
                hours: service.hours.clone(),
            });
            return Vec::new();
        }
        self.notice = None;
        self.chosen = Some(code.to_owned());
        if self.priority_groups.is_empty() {
            return self.issue(None);
        }
        self.screen = Screen::Priority;
        Vec::new()
    }

    /// The answer on the priority screen: a group, or none (an ordinary ticket).
    pub fn choose_priority(&mut self, group: Option<&str>) -> Vec<Effect> {
        self.touched();
        if self.busy || self.screen != Screen::Priority {
            return Vec::new();
        }
        self.issue(group.filter(|g| self.priority_groups.iter().any(|p| p.code == *g)))
    }

    fn issue(&mut self, priority: Option<&str>) -> Vec<Effect> {
        let Some(service) = self.chosen.clone() else {
            return Vec::new();
        };
        self.busy = true;
        self.asking = Some((service, priority.map(str::to_owned)));
        self.asking_ms = 0;
        self.ask()
    }

    /// Asks the service for the ticket being asked for, or the journal once the
    /// service has been away a while.
    fn ask(&mut self) -> Vec<Effect> {
        let Some((service, priority)) = self.asking.clone() else {
            return Vec::new();
        };
        if self.offline() {
            vec![Effect::IssueOffline { service, priority }]
        } else {
            vec![Effect::Issue { service, priority }]
        }
    }

    /// The service's answer to a ticket request.
    pub fn issued(&mut self, result: Result<TicketView, ClientError>) -> Vec<Effect> {
        match result {
            Err(e @ (ClientError::Unreachable(_) | ClientError::BadAnswer(_)))
                if self.asking.is_some() && self.series.is_some() =>
            {
                // Asked again a second later, until the service has been away long
                // enough (counting the time this request waited) to go on without it.
                self.lost(&e);
                let away = self.away_ms.get_or_insert(0);
                *away = (*away).max(self.asking_ms);
                if self.offline() {
                    return self.ask();
                }
                self.retry = true;
                return Vec::new();
            }
            _ => {}
        }
        self.busy = false;
        self.asking = None;
        match result {
            Ok(ticket) => {
                self.reconnected();
                let mut effects = self.show(ticket);
                effects.push(Effect::Refresh);
                effects
            }
            Err(ClientError::Refused {
                citizen_message,
                message,
                ..
            }) => {
                self.go_home();
                self.notice = Some(citizen_message.map_or_else(
                    || {
                        tracing::warn!("kiosk: ticket refused: {message}");
                        Message::NoTicket
                    },
                    Message::Hall,
                ));
                vec![Effect::Refresh]
            }
            Err(e) => {
                self.go_home();
                self.lost(&e);
                Vec::new()
            }
        }
    }

    /// The journal's answer: a ticket the kiosk gave out on its own (on disk by now),
    /// and how many wait there to be placed in the queue.
    pub fn issued_offline(
        &mut self,
        result: Result<TicketView, String>,
        journal_waiting: usize,
    ) -> Vec<Effect> {
        self.busy = false;
        self.asking = None;
        self.journal_waiting = journal_waiting;
        match result {
            Ok(ticket) => self.show(ticket),
            Err(e) => {
                tracing::error!("kiosk: no ticket from the journal: {e}");
                self.last_trouble = Some(e);
                self.go_home();
                self.notice = Some(Message::ServiceAway);
                Vec::new()
            }
        }
    }

    /// How sending the journal ended: how many tickets still wait there, and what
    /// stopped it, if anything did.
    pub fn replayed(
        &mut self,
        journal_waiting: usize,
        trouble: Option<ClientError>,
    ) -> Vec<Effect> {
        self.replaying = false;
        let placed = self.journal_waiting.saturating_sub(journal_waiting);
        self.journal_waiting = journal_waiting;
        match trouble {
            Some(e @ (ClientError::Unreachable(_) | ClientError::BadAnswer(_))) => self.lost(&e),
            Some(e) => {
                tracing::warn!("kiosk: the journal's tickets wait: {e}");
                self.last_trouble = Some(format!("the journal's tickets wait: {e}"));
            }
            None => {}
        }
        if placed > 0 {
            tracing::info!("kiosk: {placed} ticket(s) given out offline are in the queue now");
        }
        // Staff see the count change at once.
        vec![Effect::ReportPrinter(self.printer)]
    }

    /// Shows a ticket just given and sends it to the printer.
    fn show(&mut self, ticket: TicketView) -> Vec<Effect> {
        let service_name = self
            .services
            .iter()
            .find(|s| s.code == ticket.ticket.service)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| Localized::new(&ticket.ticket.service, &ticket.ticket.service));
        self.issued = Some(Issued {
            ticket: ticket.clone(),
            service_name,
            print: PrintState::Printing,
            shown_ms: 0,
        });
        self.screen = Screen::Ticket;
        vec![Effect::Print(Box::new(ticket))]
    }

    /// The printer's answer for the ticket on screen.
    pub fn printed(&mut self, result: Result<Health, Health>) -> Vec<Effect> {
        let (health, print) = match result {
            Ok(h) => (h, PrintState::Printed),
            Err(h) => {
                self.last_trouble = Some(format!("a ticket did not print: {}", h.code()));
                (h, PrintState::Failed(h))
            }
        };
        if let Some(issued) = &mut self.issued {
            issued.print = print;
        }
        self.printer_changed(health)
    }

    /// News about the printer (from the watcher or a print): staff hear of changes.
    pub fn printer_changed(&mut self, health: Health) -> Vec<Effect> {
        if health == self.printer {
            return Vec::new();
        }
        self.printer = health;
        self.since_report_ms = 0;
        vec![Effect::ReportPrinter(health)]
    }

    pub fn open_lookup(&mut self) {
        self.touched();
        if self.screen == Screen::Home {
            self.screen = Screen::Lookup;
            self.lookup_input.clear();
            self.lookup_result = None;
            self.lookup_ready = None;
            self.id_for = None;
            self.id_digits.clear();
        }
    }

    /// Keys from the on-screen keypad or a barcode scanner (which types, then Enter).
    /// On the home screen, typing starts a lookup: a scanned receipt just works.
    pub fn key(&mut self, text: &str) -> Vec<Effect> {
        self.touched();
        if !matches!(self.screen, Screen::Home | Screen::Lookup) {
            return Vec::new();
        }
        let mut effects = Vec::new();
        for c in text.chars() {
            if self.screen == Screen::Lookup
                && let Some(code) = &self.id_for
            {
                match c {
                    '0'..='9' if self.id_digits.len() < 4 => self.id_digits.push(c),
                    '0'..='9' => {}
                    '\n' | '\r' if self.id_digits.len() == 4 => {
                        effects.push(Effect::Lookup {
                            code: code.clone(),
                            id: Some(self.id_digits.clone()),
                        });
                    }
                    '\n' | '\r' => {}
                    '\u{8}' | '\u{7f}' if !self.id_digits.is_empty() => {
                        self.id_digits.pop();
                    }
                    '\u{1b}' => self.id_digits.clear(),
                    // Nothing to delete: back to the code, to correct it.
                    '\u{8}' | '\u{7f}' => {
                        self.id_for = None;
                        self.lookup_result = None;
                    }
                    // A letter, a dot or a dash: a new receipt is being scanned, and
                    // the digits so far were the start of its code.
                    c if c.is_ascii_alphanumeric() || c == '.' || c == '-' => {
                        self.lookup_input = std::mem::take(&mut self.id_digits);
                        self.lookup_input.push(c.to_ascii_uppercase());
                        self.submitted = false;
                        self.id_for = None;
                        self.lookup_result = None;
                    }
                    _ => {}
                }
                continue;
            }
            match c {
                '\n' | '\r' if !self.lookup_input.is_empty() => {
                    self.screen = Screen::Lookup;
                    self.submitted = true;
                    self.lookup_result = None;
                    self.lookup_ready = None;
                    effects.push(Effect::Lookup {
                        code: self.lookup_input.clone(),
                        id: None,
                    });
                }
                // "Xóa hết": the whole code goes.
                '\u{1b}' => {
                    self.lookup_input.clear();
                    self.submitted = false;
                    self.lookup_ready = None;
                    self.lookup_result = None;
                }
                '\u{8}' | '\u{7f}' => {
                    self.lookup_input.pop();
                    // A changed code is not the dossier whose result was offered, and
                    // what was said about the old code no longer holds.
                    self.submitted = false;
                    self.lookup_ready = None;
                    self.lookup_result = None;
                }
                c if (c.is_ascii_alphanumeric() || c == '.' || c == '-')
                    && (self.submitted || self.lookup_input.len() < MAX_CODE_LEN) =>
                {
                    if self.screen == Screen::Home {
                        self.screen = Screen::Lookup;
                        self.lookup_result = None;
                    }
                    if std::mem::take(&mut self.submitted) {
                        // A second receipt scanned (or a new code typed) after a lookup.
                        self.lookup_input.clear();
                        self.lookup_result = None;
                    }
                    self.lookup_ready = None;
                    self.lookup_input.push(c.to_ascii_uppercase());
                }
                _ => {}
            }
        }
        effects
    }

    /// The answer to a dossier lookup, with whether its result waits for pickup.
    pub fn looked_up_dossier(
        &mut self,
        code: &str,
        result: Result<motcua_api::DossierLookup, ClientError>,
    ) {
        self.lookup_ready = match &result {
            Ok(d) if d.ready() => Some(if d.code.is_empty() {
                code.to_owned()
            } else {
                d.code.clone()
            }),
            _ => None,
        };
        // The dossier wants the ID digits (asked for, or given wrong): the keypad
        // now types them. Anything else ends that.
        self.id_digits.clear();
        self.id_for = match &result {
            Err(ClientError::Refused { code: why, .. })
                if why == "id_required" || why == "id_mismatch" =>
            {
                Some(code.to_owned())
            }
            _ => None,
        };
        self.looked_up(code, result.map(|d| d.status_text));
    }

    /// A tap on "Lấy số nhận kết quả" after a lookup found the result ready.
    pub fn take_return_ticket(&mut self) -> Vec<Effect> {
        self.touched();
        if self.busy || self.screen != Screen::Lookup {
            return Vec::new();
        }
        let Some(code) = self.lookup_ready.clone() else {
            return Vec::new();
        };
        self.busy = true;
        vec![Effect::IssueReturn(code)]
    }

    /// The answer to a dossier lookup: its status in plain words, or why there is none.
    pub fn looked_up(&mut self, code: &str, result: Result<Localized, ClientError>) {
        self.lookup_result = Some(match result {
            Ok(status) => {
                self.reconnected();
                Message::Hall(status)
            }
            Err(ClientError::Refused { status: 404, .. }) => {
                self.reconnected();
                Message::NotFound(code.to_owned())
            }
            Err(ClientError::Refused {
                citizen_message: Some(m),
                ..
            }) => Message::Hall(m),
            Err(e) => {
                self.lost(&e);
                Message::LookupAway
            }
        });
    }

    /// Time passes: screens time out, and the lines' state is refreshed now and then.
    pub fn tick(&mut self, elapsed_ms: u64) -> Vec<Effect> {
        self.idle_ms += elapsed_ms;
        self.since_refresh_ms += elapsed_ms;
        self.since_report_ms += elapsed_ms;
        if let Some(away) = &mut self.away_ms {
            *away += elapsed_ms;
        }
        if self.asking.is_some() {
            self.asking_ms += elapsed_ms;
        }
        let mut effects = Vec::new();
        if std::mem::take(&mut self.retry) {
            effects.extend(self.ask());
        }
        if self.connected && self.journal_waiting > 0 && !self.replaying {
            self.replaying = true;
            effects.push(Effect::Replay);
        }
        if self.since_report_ms >= REPORT_MS {
            self.since_report_ms = 0;
            effects.push(Effect::ReportPrinter(self.printer));
        }
        if let Some(issued) = &mut self.issued {
            issued.shown_ms += elapsed_ms;
            let limit = match issued.print {
                PrintState::Failed(_) => TICKET_SCREEN_NO_PAPER_MS,
                _ => TICKET_SCREEN_MS,
            };
            if issued.shown_ms >= limit && issued.print != PrintState::Printing {
                self.go_home();
            }
        }
        if self.screen != Screen::Ticket && self.idle_ms >= IDLE_MS && !self.busy {
            // Nobody is there any more: home, in Vietnamese.
            self.go_home();
            self.next_citizen();
        }
        let refresh = if self.connected {
            REFRESH_MS
        } else {
            REFRESH_AWAY_MS
        };
        if self.since_refresh_ms >= refresh {
            self.since_refresh_ms = 0;
            effects.push(Effect::Refresh);
        }
        effects
    }
}
