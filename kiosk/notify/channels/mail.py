"""E-mail over SMTP (stdlib smtplib) to the staff mailbox(es) in [notify.smtp] to."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

from kiosk.notify.channels.base import Message, Outcome

TIMEOUT_SECONDS = 10


class SmtpMail:
    name = "smtp"

    def __init__(self, smtp_settings) -> None:
        self.settings = smtp_settings

    def send(self, message: Message) -> Outcome:
        mail = EmailMessage()
        mail["From"] = self.settings.sender
        mail["To"] = message.address or ", ".join(self.settings.to)  # an address: `kiosk notify test --to`
        mail["Subject"] = message.title
        mail["Message-ID"] = f"<{message.notification_id}@kiosk>"  # a repeat after a crash is recognisable
        mail.set_content(message.text)
        try:
            with smtplib.SMTP(self.settings.host, self.settings.port, timeout=TIMEOUT_SECONDS) as server:
                server.send_message(mail)
        except smtplib.SMTPRecipientsRefused as error:
            return Outcome("give_up", "recipients_refused", str(error)[:200])
        except smtplib.SMTPResponseException as error:
            # 4xx: try later (greylisting, mailbox busy); 5xx: refused for good.
            result = "retry" if 400 <= error.smtp_code < 500 else "give_up"
            return Outcome(result, str(error.smtp_code), str(error.smtp_error, "utf-8", "replace")[:200]
                           if isinstance(error.smtp_error, bytes) else str(error.smtp_error)[:200])
        except (OSError, smtplib.SMTPException) as error:
            return Outcome.network(error)
        return Outcome("sent", "250", "accepted")
