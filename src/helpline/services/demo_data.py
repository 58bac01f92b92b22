"""Demo data: three client companies of one outsourcer, generated from a seed and a base date.

Pure and deterministic: the same seed and base date give the same rows, byte for byte. Nothing
here reads the clock, the database or the network. Rows are plain dicts named like the table
columns; references between them are `Ref` markers the loader (services/demo.py) turns into ids.
"""

from __future__ import annotations

import random
import unicodedata
from bisect import bisect_right
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from helpline.domain.customers import search_name_of
from helpline.domain.identities import normalise_phone
from helpline.domain.routing.model import DEFAULT_SERVICE_LEVEL_SECONDS
from helpline.domain.vocabulary import Channel

HISTORY_DAYS = 182  # six months of contacts, ending at the base date
DEMO_DOMAIN = "helpline.demo"
# One password per role, hashed once by the loader and shared by every user of that role.
PASSWORDS = {
    "admin": "helpline-demo-admin",
    "supervisor": "helpline-demo-supervisor",
    "agent": "helpline-demo-agent",
    "client_manager": "helpline-demo-client",
}
# The account printed for each role.
LOGINS = {
    "admin": f"admin@{DEMO_DOMAIN}",
    "supervisor": f"supervisor@{DEMO_DOMAIN}",
    "agent": f"agent@{DEMO_DOMAIN}",
    "client_manager": f"client.cardinal@{DEMO_DOMAIN}",
}


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference to another generated row: ("customer", 12) or ("user", "agent@helpline.demo").

    `text` asks for the id as text, as case history stores values (an assignee's id, for one).
    """

    kind: str
    key: int | str
    text: bool = False


@dataclass(frozen=True, slots=True)
class TenantSpec:
    slug: str
    name: str
    timezone: str
    language: str
    region: str
    currency: str
    customers: int
    interactions: int
    ref_prefix: str


@dataclass(frozen=True, slots=True)
class DemoUser:
    email: str
    name: str
    role: str
    tenants: tuple[str, ...]
    languages: tuple[str, ...] = ("en",)

    @property
    def password(self) -> str:
        return PASSWORDS[self.role]


@dataclass
class TenantData:
    """Every row of one tenant, in insertion order."""

    spec: TenantSpec
    queues: list[dict[str, Any]] = field(default_factory=list)
    customers: list[dict[str, Any]] = field(default_factory=list)
    identities: list[dict[str, Any]] = field(default_factory=list)
    consents: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    cases: list[dict[str, Any]] = field(default_factory=list)
    case_history: list[dict[str, Any]] = field(default_factory=list)
    case_tags: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    interactions: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class DemoData:
    seed: int
    base: datetime
    users: list[DemoUser]
    tenants: list[TenantData]

    @property
    def history_start(self) -> datetime:
        return self.base - timedelta(days=HISTORY_DAYS)


# --- the outsourcer's clients and staff -----------------------------------------------------

TENANTS = (
    TenantSpec("cardinal", "Cardinal Greetings", "America/New_York", "en", "US", "USD", 2200, 7000, "CG"),
    TenantSpec("heartwise", "HeartWise Foundation", "America/Chicago", "en", "US", "USD", 1300, 4000, "HW"),
    TenantSpec("northwave", "Northwave Internet", "America/Montreal", "en", "CA", "CAD", 1500, 6000, "NW"),
)

_ALL = ("cardinal", "heartwise", "northwave")
_EN_FR = ("en", "fr")


def _staff() -> list[DemoUser]:
    d = DEMO_DOMAIN
    users = [
        DemoUser(f"admin@{d}", "Avery Admin", "admin", ()),
        DemoUser(f"supervisor@{d}", "Sam Rivera", "supervisor", _ALL, _EN_FR),
        DemoUser(f"priya.natarajan@{d}", "Priya Natarajan", "supervisor", ("cardinal", "heartwise")),
        DemoUser(f"luc.tremblay@{d}", "Luc Tremblay", "supervisor", ("northwave",), _EN_FR),
        DemoUser(f"client.cardinal@{d}", "Carol Bennett", "client_manager", ("cardinal",)),
        DemoUser(f"client.heartwise@{d}", "Henry Walsh", "client_manager", ("heartwise",)),
        DemoUser(f"client.northwave@{d}", "Nadia Roy", "client_manager", ("northwave",), _EN_FR),
        # The blended pool: agent@ serves all three clients; others serve one or two.
        DemoUser(f"agent@{d}", "Alex Morgan", "agent", _ALL, _EN_FR),
    ]
    agents: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
        ("Jordan Lee", ("cardinal",), ("en",)),
        ("Maria Santos", ("cardinal",), ("en",)),
        ("Kevin O'Brien", ("cardinal",), ("en",)),
        ("Aisha Khan", ("cardinal",), ("en",)),
        ("Tyler Brooks", ("cardinal",), ("en",)),
        ("Grace Kim", ("heartwise",), ("en",)),
        ("Daniel Ortiz", ("heartwise",), ("en",)),
        ("Ruth Adler", ("heartwise",), ("en",)),
        ("Émilie Gagnon", ("northwave",), _EN_FR),
        ("Mathieu Bouchard", ("northwave",), _EN_FR),
        ("Sophie Lavoie", ("northwave",), _EN_FR),
        ("Olivier Côté", ("northwave",), _EN_FR),
        ("Ethan Clarke", ("northwave",), ("en",)),
        ("Hannah Price", ("cardinal", "heartwise"), ("en",)),
        ("Marcus Webb", ("cardinal", "heartwise"), ("en",)),
        ("Lena Fischer", ("cardinal", "heartwise"), ("en",)),
        ("Omar Haddad", ("cardinal", "heartwise"), ("en",)),
        ("Julie Pelletier", ("heartwise", "northwave"), _EN_FR),
        ("Chris Martin", ("cardinal", "northwave"), ("en",)),
    ]
    for name, tenants, languages in agents:
        users.append(DemoUser(f"{_ascii(name).replace(' ', '.')}@{d}", name, "agent", tenants, languages))
    return users


def agent_profiles(users: Sequence[DemoUser]) -> list[dict[str, Any]]:
    """Routing profiles of the demo's agents and supervisors: skills of the clients they serve (levels
    2-5 varying by person), their languages, one of two sites, and a capacity profile. Deterministic."""
    profiles = []
    workers = [u for u in users if u.role in ("agent", "supervisor")]
    for i, user in enumerate(workers):
        skills = {}
        for j, skill in enumerate(s for t in user.tenants for s in _SKILLS[t]):
            skills[skill] = 2 + (i + j) % 4
        # Supervisors take a call when the queue is long; agents are mostly blended, some digital only.
        profile = "voice" if user.role == "supervisor" else ("blended", "blended", "digital")[i % 3]
        profiles.append(
            {
                "email": user.email,
                "skills": skills,
                "languages": list(user.languages),
                "site": SITES[i % 2],
                "profile": profile,
            }
        )
    return profiles


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# --- names ------------------------------------------------------------------------------------

_FIRST_EN = _words(
    "James Mary John Patricia Robert Jennifer Michael Linda David Elizabeth William Barbara Richard Susan Joseph "
    "Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty Anthony Sandra Mark Ashley "
    "Donald Kimberly Steven Emily Andrew Donna Paul Michelle Joshua Carol Kenneth Amanda Kevin Melissa Brian "
    "Deborah George Stephanie Timothy Rebecca Ronald Laura Jason Helen Edward Sharon Jeffrey Cynthia Ryan Kathleen "
    "Jacob Amy Gary Angela Nicholas Shirley Eric Anna Jonathan Ruth Stephen Brenda Larry Pamela Justin Nicole "
    "Scott Katherine Brandon Samantha Benjamin Christine Samuel Emma Gregory Catherine Alexander Debra Frank Rachel "
    "Raymond Carolyn Jack Janet Dennis Maria Jerry Olivia Tyler Heather Aaron Diane Jose Julie Adam Joyce Nathan "
    "Victoria Henry Kelly Zachary Christina Douglas Lauren Peter Joan Kyle Evelyn Noah Judith Ethan Megan Jeremy "
    "Andrea Walter Cheryl Christian Hannah Keith Jacqueline Roger Martha Terry Gloria Austin Teresa Sean Ann Gerald "
    "Sara Carl Madison Harold Frances Dylan Kathryn Arthur Janice Lawrence Jean Jordan Abigail Jesse Alice Bryan "
    "Judy Billy Sophia Bruce Grace Gabriel Denise Joe Amber Logan Doris Alan Marilyn Juan Danielle Albert Beverly "
    "Willie Isabella Elijah Theresa Wayne Diana Randy Natalie Vincent Brittany Mason Charlotte Roy Marie Ralph "
    "Kayla Bobby Alexis Russell Lori Bradley Alyssa Philip Priya Wei Mei Hiroshi Yuki Mohammed Fatima Carlos "
    "Sofia Diego Lucia Ahmed Leila Raj Anika Kwame Ama Chen Ling"
)
_LAST_EN = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson "
    "Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis "
    "Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera "
    "Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart "
    "Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim "
    "Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo "
    "Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler "
    "Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds "
    "Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford "
    "Castro Marshall Owens Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman "
    "Webb Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon "
    "Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice "
    "Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer "
    "Hawkins Arnold Pierce Hansen Peters Santos Hart Bradley Knight Elliott Cunningham Duncan Armstrong Hudson "
    "Okafor Mensah Tanaka Suzuki Khan Ali Singh Sharma Wang Zhang Liu Yamamoto Haddad Nakamura O'Connor"
)
_FIRST_FR = _words(
    "Marie Jean Pierre Michel Louise Nathalie Sylvie Isabelle Julie Catherine François Luc Martin Stéphane Éric "
    "Guy Mélanie Geneviève Chantal Josée Annie Caroline Simon Mathieu Gabriel Samuel Olivier Félix Léa Chloé "
    "Émilie Camille Rosalie Florence Maxime Alexandre Philippe Benoît Hélène Élise Marc-André Jean-François "
    "Anne-Marie Marie-Ève Sébastien Véronique Jacques André Denis Réjean Ginette Lucie Diane Manon Francine "
    "Raymond Gaétan Thérèse Noémie Zoé Béatrice Jérôme Frédéric Benjamin Laurence Sophie Amélie Maude Vincent"
)
_LAST_FR = _words(
    "Tremblay Gagnon Roy Côté Bouchard Gauthier Morin Lavoie Fortin Gagné Ouellet Pelletier Bélanger Lévesque "
    "Bergeron Leblanc Paquette Girard Simard Boucher Caron Beaulieu Cloutier Dubé Poirier Fournier Lapointe "
    "Leclerc Lefebvre Poulin Thibault St-Pierre Nadeau Martin Landry Martel Bédard Grenier Lessard Bernier "
    "Richard Michaud Hébert Desjardins Couture Turcotte Lachance Parent Blais Gosselin Savard Proulx Beaudoin "
    "Demers Perron Boudreau Charbonneau Deschênes Rousseau Dufour Vallée Ménard Mercier Arsenault Dion Lemieux"
)
_COMPANIES = (
    "Maple Leaf Dental",
    "Brightside Realty",
    "Harbor & Pine Law",
    "Summit Family Clinic",
    "Blue Heron Bakery",
    "Clearwater Insurance",
    "Riverbend Veterinary",
    "Oakridge Accounting",
    "Lakeshore Florist",
    "Northstar Logistics",
    "Cedar Grove Architects",
    "Pinecrest Hotel",
    "Silverline Consulting",
    "Redwood Pharmacy",
    "Golden Gate Events",
    "Boulangerie du Coin",
    "Clinique Saint-Laurent",
    "Garage Lefebvre et Fils",
    "Café des Érables",
    "Cabinet Dubé Avocats",
    "Imprimerie Laurentide",
    "Dépanneur Chez Ginette",
)
_EMAIL_DOMAINS = ("example.com", "example.net", "example.org")
_SOCIAL = ("twitter", "facebook", "instagram")
# Numbers 555-0100 to 555-0199 are reserved for fiction in every North American area code, and
# libphonenumber accepts them as valid: demo data never reaches a real person.
_US_AREAS = (
    212,
    718,
    917,
    646,
    312,
    773,
    415,
    510,
    213,
    310,
    617,
    857,
    206,
    253,
    305,
    786,
    404,
    470,
    214,
    469,
    713,
    832,
    602,
    480,
    303,
    720,
    503,
    971,
    612,
    651,
    216,
    440,
    313,
    248,
    412,
    215,
    267,
    702,
    615,
    901,
)
_CA_AREAS = (514, 438, 450, 579, 418, 581, 819, 873, 613, 343, 416, 647, 437, 905, 289, 604, 403)


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(ch for ch in plain.lower() if ch.isalnum() or ch in " .-")


# --- what customers contact each client about ------------------------------------------------


@dataclass(frozen=True, slots=True)
class Topic:
    queue: str
    category: str
    subject: dict[str, str]
    ask: dict[str, str]
    answer: dict[str, str]
    note: str
    dispositions: tuple[str, ...]
    tags: tuple[str, ...]
    weight: int = 10
    case_share: float = 0.35
    channels: tuple[Channel, ...] = ()  # empty: any channel


def _t(en: str, fr: str | None = None) -> dict[str, str]:
    return {"en": en, "fr": fr or en}


_TOPICS: dict[str, tuple[Topic, ...]] = {
    "cardinal": (
        Topic(
            "Orders & Delivery",
            "delivery",
            _t("Where is my order {order}?"),
            _t(
                "Hello, I ordered a gift bundle (order {order}) and it still has not arrived. It is a present "
                "and I need it this week. Can you tell me where it is?"
            ),
            _t(
                "Hi {first}, thank you for your patience. Order {order} left our warehouse two days ago and the "
                "carrier shows delivery by Thursday. I have added a priority flag on it."
            ),
            "Carrier confirmed the parcel is in transit; customer will call back if it is not there Thursday.",
            ("order_status_given", "reshipped"),
            ("delivery",),
            30,
        ),
        Topic(
            "Orders & Delivery",
            "order_change",
            _t("Change the delivery address of order {order}"),
            _t("I need to send order {order} to my daughter's address instead of mine. Is it too late?"),
            _t(
                "Not too late, {first}: the delivery address of order {order} is updated and you will get a new "
                "confirmation email shortly."
            ),
            "Address changed before dispatch; confirmation email sent.",
            ("address_changed",),
            ("order-change",),
            12,
        ),
        Topic(
            "Loyalty Club",
            "loyalty",
            _t("Loyalty points missing from my account"),
            _t("My last purchase did not add any points to my Cardinal Club account. Could you check?"),
            _t(
                "You are right, {first}: the points of order {order} were not credited. I have added them; your "
                "balance now shows the correct total."
            ),
            "Points credited manually; root cause was an order placed as guest.",
            ("points_credited", "info_provided"),
            ("loyalty",),
            16,
        ),
        Topic(
            "Loyalty Club",
            "loyalty",
            _t("Renew my Gold membership"),
            _t("My Gold membership expires next month. How do I renew and do I keep my points?"),
            _t(
                "Your Gold status renews automatically with one more order this year, {first}, and your points "
                "never expire while you are a member."
            ),
            "Explained renewal rules; customer happy.",
            ("info_provided",),
            ("loyalty", "membership"),
            8,
        ),
        Topic(
            "Returns & Refunds",
            "damaged",
            _t("Damaged cards in order {order}"),
            _t("Half of the cards in order {order} arrived bent and one envelope was torn. What can you do?"),
            _t(
                "I am sorry about that, {first}. A replacement set is on its way at no cost, and there is no need "
                "to send the damaged cards back."
            ),
            "Replacement shipped; damage photos attached by customer.",
            ("replacement_sent", "refund_issued"),
            ("returns", "damaged"),
            12,
            0.6,
        ),
        Topic(
            "Returns & Refunds",
            "refund",
            _t("Refund for order {order}"),
            _t("I was charged twice for order {order}. Please refund the duplicate charge."),
            _t(
                "I can confirm the duplicate charge on order {order}, {first}. The refund is issued and shows on "
                "your statement within 5 business days."
            ),
            "Duplicate capture refunded; payments team informed.",
            ("refund_issued",),
            ("returns", "billing"),
            8,
            0.6,
        ),
        Topic(
            "Back Office",
            "fulfilment",
            _t("Reprint request for order {order}"),
            _t("Print shop reports a misaligned batch that includes order {order}; reprint and reship."),
            _t("Reprint queued with the print shop and shipment re-booked."),
            "Reprint confirmed by the print shop.",
            ("reprint_queued",),
            ("back-office",),
            6,
            0.5,
            (Channel.WORK_ITEM, Channel.FAX, Channel.LETTER),
        ),
    ),
    "heartwise": (
        Topic(
            "Donations",
            "receipt",
            _t("Tax receipt for my donation"),
            _t("Could you send me the tax receipt for the gift I made in December? I need it for my return."),
            _t(
                "Of course, {first}. Your receipt for donation {order} is attached, and next year it will be "
                "emailed automatically in January."
            ),
            "Receipt re-issued; donor prefers email from now on.",
            ("receipt_sent",),
            ("donations", "receipt"),
            20,
        ),
        Topic(
            "Donations",
            "monthly_gift",
            _t("Change my monthly gift"),
            _t("I would like to increase my monthly gift starting next month, and change the card it is on."),
            _t(
                "Thank you so much, {first}! Your monthly gift is updated from next month; the new card ends in "
                "the digits you gave me."
            ),
            "Monthly gift updated; thanked donor for the increase.",
            ("gift_updated",),
            ("donations", "monthly"),
            14,
        ),
        Topic(
            "Donations",
            "in_memoriam",
            _t("Gift in memory of a loved one"),
            _t(
                "I want to make a donation in memory of my father, who passed away from heart disease. Can the "
                "family be notified?"
            ),
            _t(
                "I am very sorry for your loss, {first}. The gift is recorded in his memory and a card will be "
                "sent to the family at the address you gave."
            ),
            "In-memoriam card to be mailed to the family.",
            ("gift_recorded",),
            ("donations", "memorial"),
            6,
            0.5,
        ),
        Topic(
            "Donations",
            "cheque",
            _t("Donation by cheque"),
            _t("Please find enclosed a cheque for my annual donation. Keep up the good work."),
            _t("Dear {first}, thank you for your cheque; it is deposited and your receipt will follow by mail."),
            "Cheque logged and sent to deposit.",
            ("gift_recorded",),
            ("donations", "mail"),
            8,
            0.2,
            (Channel.LETTER, Channel.WORK_ITEM, Channel.FAX),
        ),
        Topic(
            "Volunteering",
            "volunteer",
            _t("Volunteering at the Heart Walk"),
            _t("I would like to volunteer at the Heart Walk this spring. What roles are available?"),
            _t(
                "Wonderful, {first}! You are registered as a volunteer; the coordinator will call you about the "
                "water-station and registration-desk shifts."
            ),
            "Volunteer registered; passed to the events coordinator.",
            ("volunteer_registered",),
            ("volunteering",),
            10,
        ),
        Topic(
            "Volunteering",
            "volunteer_schedule",
            _t("Change my volunteer shift"),
            _t("I cannot make my Saturday shift anymore. Could I move to Sunday?"),
            _t("No problem, {first}: you are now on the Sunday morning shift."),
            "Shift moved.",
            ("shift_changed",),
            ("volunteering",),
            5,
        ),
        Topic(
            "Health Information",
            "health_info",
            _t("Information on high blood pressure"),
            _t("My doctor said my blood pressure is high. Do you have material explaining what I can do?"),
            _t(
                "Thank you for reaching out, {first}. I have sent our blood-pressure guide and the heart-healthy "
                "recipes booklet. For medical advice please keep following your doctor's plan."
            ),
            "Sent the guide; reminded that we give information, not medical advice.",
            ("info_sent",),
            ("health-info",),
            14,
            0.2,
        ),
        Topic(
            "Health Information",
            "cpr",
            _t("CPR course near me"),
            _t("Are there CPR courses near me this month? I would like my whole family to learn."),
            _t(
                "Yes, {first}: there are two courses within ten miles this month. I have emailed you the dates and "
                "the registration link."
            ),
            "Course list emailed.",
            ("info_sent",),
            ("health-info", "cpr"),
            8,
            0.2,
        ),
        Topic(
            "Events",
            "events",
            _t("Heart Walk registration"),
            _t("How do I register my team for the Heart Walk, and is there a fundraising minimum?"),
            _t(
                "Your team is registered, {first}! There is no minimum; your team page is live and you can share "
                "its link with friends."
            ),
            "Team registered; sent the fundraising kit.",
            ("registered",),
            ("events", "heart-walk"),
            10,
        ),
        Topic(
            "Events",
            "gala",
            _t("Tickets for the Red Dress Gala"),
            _t("Are tickets still available for the Red Dress Gala? We would need a table of eight."),
            _t("Good news, {first}: a table of eight is reserved in your name; the invoice follows by email."),
            "Table reserved; invoice requested from events team.",
            ("registered",),
            ("events", "gala"),
            5,
        ),
    ),
    "northwave": (
        Topic(
            "Billing",
            "bill_question",
            _t("Question about my bill", "Question sur ma facture"),
            _t(
                "My bill is higher than usual this month. Can you explain the new charges?",
                "Ma facture est plus élevée que d'habitude ce mois-ci. Pouvez-vous m'expliquer les nouveaux frais?",
            ),
            _t(
                "Hi {first}, the difference is the end of your 12-month promotion. I have applied our loyalty "
                "discount, so your next bill goes back down.",
                "Bonjour {first}, la différence vient de la fin de votre promotion de 12 mois. J'ai appliqué notre "
                "rabais de fidélité : votre prochaine facture redescend.",
            ),
            "Promo ended; loyalty discount applied for 12 months.",
            ("bill_explained", "credit_applied"),
            ("billing",),
            22,
        ),
        Topic(
            "Billing",
            "payment",
            _t("Payment arrangement", "Entente de paiement"),
            _t(
                "I lost my job and cannot pay this month's bill in full. Is a payment plan possible?",
                "J'ai perdu mon emploi et je ne peux pas payer toute ma facture ce mois-ci. Une entente est-elle "
                "possible?",
            ),
            _t(
                "I understand, {first}. The balance is split over three months and your service stays on.",
                "Je comprends, {first}. Le solde est réparti sur trois mois et votre service reste actif.",
            ),
            "Three-month arrangement set; collections hold added.",
            ("payment_plan",),
            ("billing", "arrangement"),
            8,
            0.5,
        ),
        Topic(
            "Technical Support",
            "outage",
            _t("Internet keeps dropping", "Connexion Internet instable"),
            _t(
                "My internet connection drops several times an evening since last week.",
                "Ma connexion Internet coupe plusieurs fois par soirée depuis la semaine dernière.",
            ),
            _t(
                "Thanks {first}. I found high noise on your line and pushed a modem update; if the drops continue "
                "a technician visit is booked for Tuesday morning.",
                "Merci {first}. J'ai trouvé du bruit sur votre ligne et mis à jour votre modem; si les coupures "
                "continuent, un technicien passera mardi matin.",
            ),
            "Line noise; firmware pushed, tech visit tentatively booked.",
            ("troubleshoot_resolved", "technician_booked"),
            ("technical", "connectivity"),
            24,
            0.55,
        ),
        Topic(
            "Technical Support",
            "modem",
            _t("Modem not working", "Modem en panne"),
            _t(
                "The modem lights are all red and nothing works since this morning.",
                "Les voyants du modem sont tous rouges et plus rien ne fonctionne depuis ce matin.",
            ),
            _t(
                "The modem has failed, {first}; a replacement is shipped by express and arrives tomorrow.",
                "Le modem est défectueux, {first}; un remplacement part en express et arrive demain.",
            ),
            "Hardware failure; replacement modem shipped.",
            ("modem_replaced",),
            ("technical", "hardware"),
            10,
            0.6,
        ),
        Topic(
            "Technical Support",
            "wifi",
            _t("Slow Wi-Fi upstairs", "Wi-Fi lent à l'étage"),
            _t(
                "Wi-Fi is very slow in the upstairs rooms. Is there anything I can do?",
                "Le Wi-Fi est très lent dans les chambres à l'étage. Que puis-je faire?",
            ),
            _t(
                "I changed your Wi-Fi channel, {first}, and a mesh extender is on its way at no charge.",
                "J'ai changé le canal de votre Wi-Fi, {first}, et un répéteur maillé vous est envoyé sans frais.",
            ),
            "Channel changed; mesh pod sent.",
            ("troubleshoot_resolved",),
            ("technical", "wifi"),
            12,
            0.4,
        ),
        Topic(
            "Sales",
            "upgrade",
            _t("Upgrade to Gigabit", "Passer au Gigabit"),
            _t(
                "Is Gigabit available at my address, and what would it cost me?",
                "Le Gigabit est-il offert à mon adresse, et combien cela me coûterait-il?",
            ),
            _t(
                "Gigabit is available at your address, {first}; the upgrade is done and takes effect tonight.",
                "Le Gigabit est offert à votre adresse, {first}; la mise à niveau est faite et prend effet ce soir.",
            ),
            "Upgraded plan; confirmation sent.",
            ("upgrade_sold", "info_provided"),
            ("sales", "upgrade"),
            12,
        ),
        Topic(
            "Sales",
            "move",
            _t("Moving my service", "Déménagement du service"),
            _t(
                "I am moving on July 1st. Can you move my internet service to the new apartment?",
                "Je déménage le 1er juillet. Pouvez-vous transférer mon Internet au nouvel appartement?",
            ),
            _t(
                "Your move is booked, {first}: the service switches to the new address on moving day.",
                "Votre déménagement est prévu, {first} : le service sera transféré à la nouvelle adresse le jour "
                "du déménagement.",
            ),
            "Move order created.",
            ("move_scheduled",),
            ("sales", "move"),
            10,
            0.5,
        ),
    ),
}

_QUEUES: dict[str, tuple[tuple[str, str | None, str | None], ...]] = {
    "cardinal": (
        ("Orders & Delivery", None, "en"),
        ("Loyalty Club", None, "en"),
        ("Returns & Refunds", None, "en"),
        ("Back Office", "work_item", "en"),
    ),
    "heartwise": (
        ("Donations", None, "en"),
        ("Volunteering", None, "en"),
        ("Health Information", None, "en"),
        ("Events", None, "en"),
    ),
    "northwave": (
        ("Billing", None, None),
        ("Technical Support", None, "en"),
        ("Soutien technique", None, "fr"),
        ("Sales", None, None),
    ),
}

# The routing settings of a queue nobody changed (the table's defaults).
QUEUE_DEFAULTS: dict[str, Any] = {
    "priority": 0,
    "skills": {},
    "strategy": "longest_idle",
    "aging_per_minute": 1.0,
    "preferred_wait_seconds": 30,
    "recent_agent_days": 7,
    "language_wait_seconds": 60,
    "relaxation": [],
    "overflow": [],
    "offer_timeout_seconds": 20,
    "wrap_up_seconds": 60,
    "hours": None,
    "service_level_seconds": 20,
    "service_level_percent": 80.0,
    "leave_message_after_seconds": 300,
    "disposition_codes": [],
}
# Live queues the router serves (one channel each), beside the history queues above. Only
# Cardinal and Northwave have them; their routing settings show every feature once.
_LIVE_QUEUES: dict[str, tuple[dict[str, Any], ...]] = {
    "cardinal": (
        {
            "name": "Live chat: Orders",
            "channel": "chat",
            "language": "en",
            "skills": {"orders": 2},
            "relaxation": [{"after_seconds": 60, "min_proficiency": 1, "overflow_queue_id": None}],
            "service_level_seconds": 30,
            "leave_message_after_seconds": 240,
            "disposition_codes": ["resolved", "refund_issued", "follow_up"],
        },
        {
            "name": "Calls: Orders",
            "channel": "voice",
            "language": "en",
            "skills": {"orders": 3},
            "strategy": "most_proficient",
            # Monday to Friday 08:00-20:00 and Saturday 09:00-17:00, New York time; closed on Christmas.
            "hours": {
                "timezone": "America/New_York",
                "weekly": {str(day): [[480, 1200]] for day in range(5)} | {"5": [[540, 1020]]},
                "closed_dates": ["2026-12-25"],
            },
            "overflow": [
                {"name": "boston", "kind": "site", "weight": 70.0},
                {"name": "lisbon", "kind": "site", "weight": 30.0},
            ],
            "disposition_codes": ["resolved", "refund_issued", "follow_up"],
        },
    ),
    "northwave": (
        {
            "name": "Live chat: Support",
            "channel": "chat",
            "language": "en",
            "skills": {"internet": 2},
            "strategy": "least_occupied",
            "disposition_codes": ["fixed", "technician_booked", "billing_adjusted", "no_fault_found"],
        },
        {
            "name": "Clavardage : Soutien",
            "channel": "chat",
            "language": "fr",
            "skills": {"internet": 1},
            "language_wait_seconds": 120,
            "disposition_codes": ["fixed", "technician_booked", "billing_adjusted", "no_fault_found"],
        },
    ),
}
# Skills of each client's agents (levels vary by agent, deterministically) and the two sites.
_SKILLS = {
    "cardinal": ("orders", "loyalty", "returns"),
    "heartwise": ("donations", "events"),
    "northwave": ("internet", "billing"),
}
SITES = ("boston", "lisbon")

# How often each channel carries a contact, per client (letters and faxes are rare but real).
_CHANNEL_WEIGHTS: dict[str, dict[Channel, int]] = {
    "cardinal": {
        Channel.VOICE: 30,
        Channel.EMAIL: 22,
        Channel.CHAT: 20,
        Channel.SMS: 6,
        Channel.SOCIAL: 8,
        Channel.WEB_FORM: 8,
        Channel.LETTER: 2,
        Channel.FAX: 1,
        Channel.WORK_ITEM: 3,
    },
    "heartwise": {
        Channel.VOICE: 30,
        Channel.EMAIL: 20,
        Channel.CHAT: 8,
        Channel.SMS: 4,
        Channel.SOCIAL: 6,
        Channel.WEB_FORM: 14,
        Channel.LETTER: 10,
        Channel.FAX: 2,
        Channel.WORK_ITEM: 6,
    },
    "northwave": {
        Channel.VOICE: 38,
        Channel.EMAIL: 14,
        Channel.CHAT: 22,
        Channel.SMS: 8,
        Channel.SOCIAL: 6,
        Channel.WEB_FORM: 5,
        Channel.LETTER: 1,
        Channel.FAX: 1,
        Channel.WORK_ITEM: 5,
    },
}

_HOUR_WEIGHTS = {8: 2, 9: 5, 10: 8, 11: 8, 12: 6, 13: 7, 14: 8, 15: 7, 16: 6, 17: 4, 18: 3, 19: 2, 20: 1}


# --- generation -------------------------------------------------------------------------------


def generate(seed: int, base: datetime, scale: float = 1.0) -> DemoData:
    """Everything the demo needs, ending at `base` (timezone-aware). `scale` shrinks or grows the
    number of customers and contacts (tests load a tenth)."""
    if base.tzinfo is None:
        raise ValueError("base must be timezone-aware")
    if not 0 < scale <= 10:
        raise ValueError("scale must be above 0 and at most 10")
    base = base.astimezone(UTC)
    users = _staff()
    specs = [
        replace(spec, customers=max(20, round(spec.customers * scale)), interactions=round(spec.interactions * scale))
        for spec in TENANTS
    ]
    tenants = [_TenantBuilder(spec, seed, base, users).build() for spec in specs]
    return DemoData(seed=seed, base=base, users=users, tenants=tenants)


class _TenantBuilder:
    """Builds one tenant's rows. Each tenant has its own random stream, so changing one client's
    generator does not reshuffle the others."""

    def __init__(self, spec: TenantSpec, seed: int, base: datetime, users: Sequence[DemoUser]) -> None:
        self.spec = spec
        self.rng = random.Random(f"{seed}:{spec.slug}")
        self.base = base
        self.start = base - timedelta(days=HISTORY_DAYS)
        self.zone = ZoneInfo(spec.timezone)
        self.data = TenantData(spec)
        self.agents = [u for u in users if u.role == "agent" and spec.slug in u.tenants]
        self.supervisors = [u for u in users if u.role == "supervisor" and spec.slug in u.tenants]
        self.topics = _TOPICS[spec.slug]
        self.queue_index = {name: i for i, (name, _c, _l) in enumerate(_QUEUES[spec.slug])}
        self.order_count = 0
        self.case_topic: dict[int, Topic] = {}
        self.case_last: dict[int, datetime] = {}  # when each case last moved
        # Per customer: language, first name, identities by kind, orders' refs (for message text).
        self.profile: list[dict[str, Any]] = []

    def build(self) -> TenantData:
        created = self.start - timedelta(days=400)
        # Every row carries every column: a multi-row insert takes its columns from the first row.
        self.data.queues = [
            {
                **QUEUE_DEFAULTS,
                "name": n,
                "channel": c,
                "language": lang,
                "created_at": created,
                "service_level_seconds": DEFAULT_SERVICE_LEVEL_SECONDS.get(c or "", 20),
            }
            for n, c, lang in _QUEUES[self.spec.slug]
        ]
        # Appended after the history queues, so the history's queue references keep their places.
        self.data.queues += [
            {
                **QUEUE_DEFAULTS,
                "service_level_seconds": DEFAULT_SERVICE_LEVEL_SECONDS[live["channel"]],
                **live,
                "created_at": created,
            }
            for live in _LIVE_QUEUES.get(self.spec.slug, ())
        ]
        self._customers()
        self._history()
        return self.data

    # customers ------------------------------------------------------------------------------

    def _customers(self) -> None:
        rng, spec = self.rng, self.spec
        phones = self._phone_pool()
        emails: set[str] = set()
        created = sorted(self.base - timedelta(days=rng.uniform(1, 3 * 365)) for _ in range(spec.customers))
        # The oldest customers predate the history window, so every contact finds someone to be.
        created = [
            min(at, self.start - timedelta(days=30)) if i < spec.customers // 2 else at for i, at in enumerate(created)
        ]
        created.sort()
        for index, at in enumerate(created):
            language = "fr" if spec.slug == "northwave" and rng.random() < 0.45 else spec.language
            first, last = self._name(language)
            row, profile = self._customer_row(index, first, last, language, at)
            self.data.customers.append(row)
            self.profile.append(profile)
            self._identities(index, first, last, at, phones, emails, profile)
            self._consents(index, at, profile)
            self._orders(index, at, profile)
        self._promote_vips()

    def _name(self, language: str) -> tuple[str, str]:
        if language == "fr":
            return self.rng.choice(_FIRST_FR), self.rng.choice(_LAST_FR)
        return self.rng.choice(_FIRST_EN), self.rng.choice(_LAST_EN)

    def _customer_row(
        self, index: int, first: str, last: str, language: str, at: datetime
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        rng, slug = self.rng, self.spec.slug
        name = f"{first} {last}"
        segment: str | None
        attributes: dict[str, Any]
        company = None
        if slug == "cardinal":
            roll = rng.random()
            segment = "loyalty_gold" if roll < 0.2 else "loyalty_silver" if roll < 0.55 else None
            attributes = {
                "loyalty_points": rng.randint(2000, 25000)
                if segment == "loyalty_gold"
                else rng.randint(100, 2500)
                if segment
                else 0
            }
            if segment:
                attributes["member_since"] = (at.date()).isoformat()
            if rng.random() < 0.05:
                company = rng.choice(_COMPANIES[:15])
        elif slug == "heartwise":
            roll = rng.random()
            segment = (
                "monthly_donor" if roll < 0.25 else "donor" if roll < 0.75 else "volunteer" if roll < 0.87 else None
            )
            attributes = {
                "donor_since": at.date().isoformat(),
                "preferred_contact": rng.choice(("email", "phone", "mail")),
            }
        else:
            business = rng.random() < 0.15
            segment = "business" if business else "residential"
            plan = (
                rng.choice(("Business Fibre 1G", "Business 500"))
                if business
                else rng.choice(("Internet 100", "Internet 500", "Gigabit"))
            )
            attributes = {
                "account_number": f"{800000 + index * 7:07d}",
                "plan": plan,
                "city": rng.choice(
                    ("Montréal", "Laval", "Québec", "Gatineau", "Ottawa", "Sherbrooke", "Longueuil", "Toronto")
                ),
            }
            if business:
                company = rng.choice(_COMPANIES)
        row = {
            "external_ref": f"{self.spec.ref_prefix}-{index + 1:06d}",
            "display_name": name,
            "search_name": search_name_of(name),
            "company": company,
            "language": language,
            "segment": segment,
            "tier": "standard",
            "dedicated_agent_id": None,
            "attributes": attributes,
            "merged_into_id": None,
            "created_at": at,
            "updated_at": at,
        }
        return row, {"first": first, "language": language, "kinds": {}, "orders": [], "created_at": at}

    def _phone_pool(self) -> list[str]:
        areas = _CA_AREAS if self.spec.region == "CA" else _US_AREAS
        pool = [f"+1{area}55501{line:02d}" for area in areas for line in range(100)]
        self.rng.shuffle(pool)
        return pool

    def _identities(
        self,
        index: int,
        first: str,
        last: str,
        at: datetime,
        phones: list[str],
        emails: set[str],
        profile: dict[str, Any],
    ) -> None:
        rng = self.rng
        has_email = rng.random() < 0.93
        has_phone = (not has_email or rng.random() < 0.85) and bool(phones)
        if not has_email and not has_phone:
            has_email = True
        if has_email:
            local = f"{_ascii(first)}.{_ascii(last)}".replace(" ", "").replace("'", "")
            email = f"{local}@{rng.choice(_EMAIL_DOMAINS)}"
            n = 1
            while email in emails:
                n += 1
                email = f"{local}{n}@{email.split('@')[1]}"
            emails.add(email)
            self._identity(index, "email", email, at, profile)
        if has_phone:
            # normalise_phone both validates (the demo must only hold valid numbers) and formats.
            e164, region = normalise_phone(phones.pop())
            self._identity(index, "phone", e164, at, profile, region=region)
        if rng.random() < 0.12:
            provider = rng.choice(_SOCIAL)
            handle = f"@{_ascii(first)[:8]}{_ascii(last)[:1]}{index}".replace(" ", "").replace("-", "")
            self._identity(index, "social", handle, at, profile, provider=provider)

    def _identity(
        self,
        index: int,
        kind: str,
        value: str,
        at: datetime,
        profile: dict[str, Any],
        provider: str = "",
        region: str | None = None,
    ) -> None:
        self.data.identities.append(
            {
                "customer_id": Ref("customer", index),
                "kind": kind,
                "provider": provider,
                "value": value,
                "region": region,
                "is_primary": True,
                "created_at": at,
            }
        )
        profile["kinds"][kind] = (value, provider)

    def _consents(self, index: int, at: datetime, profile: dict[str, Any]) -> None:
        rng = self.rng
        by_phone = "phone" in profile["kinds"] and rng.random() < 0.6
        agent = rng.choice(self.agents)
        source = "asked by agent on a phone call" if by_phone else "web form"
        channel = "voice" if by_phone else "web_form"
        recorded_by = Ref("user", agent.email) if by_phone else None
        purposes = [("store_data", True, "Keep my details so the team can help me faster.")]
        if "email" in profile["kinds"] and rng.random() < 0.45:
            purposes.append(("marketing_email", True, "Send me news and offers by email."))
        if self.spec.slug == "northwave" and "phone" in profile["kinds"] and rng.random() < 0.2:
            purposes.append(("marketing_sms", True, "Send me offers by text message."))
        for purpose, granted, text in purposes:
            self.data.consents.append(
                {
                    "customer_id": Ref("customer", index),
                    "purpose": purpose,
                    "granted": granted,
                    "channel": channel,
                    "source": source,
                    "text": text,
                    "recorded_by": recorded_by,
                    "at": at,
                }
            )
        if len(purposes) > 1 and rng.random() < 0.1:
            later = at + timedelta(days=rng.uniform(5, 200))
            if later < self.base:
                self.data.consents.append(
                    {
                        "customer_id": Ref("customer", index),
                        "purpose": purposes[1][0],
                        "granted": False,
                        "channel": "email",
                        "source": "unsubscribe link in email",
                        "text": None,
                        "recorded_by": None,
                        "at": later,
                    }
                )

    def _orders(self, index: int, at: datetime, profile: dict[str, Any]) -> None:
        rng, slug = self.rng, self.spec.slug
        segment = self.data.customers[index]["segment"]
        catalogue: tuple[tuple[str, str, float], ...]  # (category, description, unit price)
        if slug == "cardinal":
            count = (
                rng.randint(2, 9) if segment == "loyalty_gold" else rng.randint(1, 4) if segment else rng.randint(0, 2)
            )
            catalogue = (
                ("cards", "Birthday card", 4.99),
                ("cards", "Valentine's card 6-pack", 18.50),
                ("gift_bundles", "Mother's Day gift bundle", 49.00),
                ("cards", "Holiday cards (25)", 32.00),
                ("gift_bundles", "Chocolate & card gift box", 39.95),
                ("cards", "Sympathy card", 5.49),
                ("gift_bundles", "Deluxe celebration bundle", 89.00),
            )
        elif slug == "heartwise":
            count = (
                rng.randint(3, 6)
                if segment == "monthly_donor"
                else rng.randint(1, 3)
                if segment == "donor"
                else rng.randint(0, 1)
            )
            catalogue = (
                ("donation", "One-time donation", 50.0),
                ("monthly_gift", "Monthly gift", 25.0),
                ("donation", "Heart Walk pledge", 100.0),
                ("in_memoriam", "In memoriam gift", 75.0),
            )
        else:
            count = rng.randint(1, 2)
            plan = self.data.customers[index]["attributes"]["plan"]
            prices = {
                "Internet 100": 55.0,
                "Internet 500": 75.0,
                "Gigabit": 95.0,
                "Business 500": 110.0,
                "Business Fibre 1G": 150.0,
            }
            catalogue = (("subscription", f"{plan} (monthly)", prices[plan]),)
        for _ in range(count):
            category, description, price = rng.choice(catalogue)
            amount = Decimal(str(price)) * (rng.choice((1, 1, 1, 2, 4)) if category in {"donation", "cards"} else 1)
            if category == "donation" and rng.random() < 0.03:
                amount = Decimal(rng.choice((1000, 2500, 5000)))
            when = at + (self.base - at) * rng.random()
            self.order_count += 1
            ref = f"{self.spec.ref_prefix}-O-{self.order_count:07d}"
            self.data.orders.append(
                {
                    "customer_id": Ref("customer", index),
                    "external_ref": ref,
                    "ordered_at": when,
                    "amount": amount.quantize(Decimal("0.01")),
                    "currency": self.spec.currency,
                    "category": category,
                    "description": description,
                }
            )
            profile["orders"].append(ref)

    def _promote_vips(self) -> None:
        """VIP: the top loyalty members, major donors, premium business accounts; each gets a
        dedicated agent."""
        customers = self.data.customers
        if self.spec.slug == "cardinal":
            gold = [i for i, c in enumerate(customers) if c["segment"] == "loyalty_gold"]
            gold.sort(key=lambda i: (-customers[i]["attributes"]["loyalty_points"], i))
            vips = gold[: max(1, len(gold) // 10)]
        elif self.spec.slug == "heartwise":
            totals: dict[int, Decimal] = {}
            for order in self.data.orders:
                key = int(order["customer_id"].key)
                totals[key] = totals.get(key, Decimal(0)) + order["amount"]
            vips = sorted(i for i, total in totals.items() if total >= 1000)
        else:
            vips = [
                i
                for i, c in enumerate(customers)
                if c["segment"] == "business" and c["attributes"]["plan"] == "Business Fibre 1G"
            ][:40]
        for i in vips:
            customers[i]["tier"] = "vip"
            customers[i]["dedicated_agent_id"] = Ref("user", self.agents[i % len(self.agents)].email)

    # history --------------------------------------------------------------------------------

    def _history(self) -> None:
        rng, spec = self.rng, self.spec
        # Whole days after the start, so no contact is older than the six months.
        days = [self.start.date() + timedelta(days=n) for n in range(1, HISTORY_DAYS + 1)]
        weights = [_day_weight(spec.slug, day) for day in days]
        picked = rng.choices(days, weights, k=spec.interactions)
        times = sorted(self._time_on(day) for day in picked)
        created = [c["created_at"] for c in self.data.customers]
        social = [i for i, p in enumerate(self.profile) if "social" in p["kinds"]]
        channels = list(_CHANNEL_WEIGHTS[spec.slug])
        channel_weights = list(_CHANNEL_WEIGHTS[spec.slug].values())
        # Cases opened in the last 14 days, oldest first (contacts come in time order).
        recent_cases: deque[int] = deque()
        for at in times:
            channel = rng.choices(channels, channel_weights)[0]
            while recent_cases and self.data.cases[recent_cases[0]]["created_at"] <= at - timedelta(days=14):
                recent_cases.popleft()
            case: int | None = None
            if recent_cases and rng.random() < 0.25:
                case = rng.choice(recent_cases)
                customer = int(self.data.cases[case]["customer_id"].key)
                topic = self.case_topic[case]
            else:
                pool_end = bisect_right(created, at - timedelta(hours=1))
                if channel is Channel.SOCIAL:
                    eligible = [i for i in social if i < pool_end]
                    customer = rng.choice(eligible) if eligible else rng.randrange(pool_end)
                else:
                    customer = rng.randrange(pool_end)
                topic = self._topic(channel)
            channel = self._reachable(channel, customer)
            if case is None and rng.random() < topic.case_share:
                case = self._open_case(customer, topic, at)
                recent_cases.append(case)
            self._interaction(at, channel, topic, customer, case)
        self._settle_cases()
        self._customer_notes()

    def _topic(self, channel: Channel) -> Topic:
        fitting = [t for t in self.topics if not t.channels or channel in t.channels]
        if channel is Channel.WORK_ITEM:
            fitting = [t for t in self.topics if channel in t.channels] or fitting
        return self.rng.choices(fitting, [t.weight for t in fitting])[0]

    def _reachable(self, channel: Channel, customer: int) -> Channel:
        """A contact uses a way the customer really has: no call from someone without a phone."""
        kinds = self.profile[customer]["kinds"]
        needs = {
            Channel.VOICE: "phone",
            Channel.SMS: "phone",
            Channel.FAX: "phone",
            Channel.EMAIL: "email",
            Channel.SOCIAL: "social",
        }
        need = needs.get(channel)
        if need is None or need in kinds:
            return channel
        return Channel.EMAIL if "email" in kinds else Channel.VOICE

    def _time_on(self, day: date) -> datetime:
        hour = self.rng.choices(list(_HOUR_WEIGHTS), list(_HOUR_WEIGHTS.values()))[0]
        local = datetime.combine(day, time(hour, self.rng.randrange(60), self.rng.randrange(60)), self.zone)
        at = local.astimezone(UTC)
        if at >= self.base:  # today's contacts happened before the base time
            at = self.base - timedelta(minutes=self.rng.uniform(2, 600))
        return at

    def _agent(self, language: str) -> DemoUser:
        speaking = [a for a in self.agents if language in a.languages] or self.agents
        return self.rng.choice(speaking)

    def _queue_for(self, topic: Topic, language: str) -> int:
        if topic.queue == "Technical Support" and language == "fr":
            return self.queue_index["Soutien technique"]
        return self.queue_index[topic.queue]

    def _open_case(self, customer: int, topic: Topic, at: datetime) -> int:
        rng = self.rng
        profile = self.profile[customer]
        vip = self.data.customers[customer]["tier"] == "vip"
        priority = "high" if vip else rng.choices(("low", "normal", "high", "urgent"), (15, 60, 20, 5))[0]
        tags = list(topic.tags)
        tags += [t for t in _season_tags(self.spec.slug, at.date()) if t not in tags]
        if vip:
            tags.append("vip")
        if profile["language"] == "fr":
            tags.append("french")
        hours = {"urgent": 8, "high": 24, "normal": 72, "low": 120}[priority]
        index = len(self.data.cases)
        self.data.cases.append(
            {
                "customer_id": Ref("customer", customer),
                "subject": self._text(topic.subject, customer),
                "status": "new",
                "priority": priority,
                "category": topic.category,
                "escalation_tier": 0,
                "assignee_id": None,
                "queue_id": Ref("queue", self._queue_for(topic, profile["language"])),
                "tags": tags,
                "first_response_due_at": at + timedelta(hours=4 if priority in {"urgent", "high"} else 8),
                "resolution_due_at": at + timedelta(hours=hours),
                "created_at": at,
                "updated_at": at,
                "resolved_at": None,
                "closed_at": None,
            }
        )
        self.case_topic[index] = topic
        self.case_last[index] = at
        for tag in tags:
            self.data.case_tags.append({"case_id": Ref("case", index), "tag": tag})
        return index

    def _text(self, template: dict[str, str], customer: int) -> str:
        profile = self.profile[customer]
        orders = profile["orders"]
        order = orders[len(orders) // 2] if orders else f"{self.spec.ref_prefix}-O-PENDING"
        return template[profile["language"]].format(first=profile["first"], order=order)

    def _interaction(self, at: datetime, channel: Channel, topic: Topic, customer: int, case: int | None) -> None:
        rng = self.rng
        profile = self.profile[customer]
        language = profile["language"]
        outbound = (
            (channel is Channel.VOICE and rng.random() < 0.12)
            or (channel is Channel.SMS and rng.random() < 0.3)
            or (channel is Channel.EMAIL and rng.random() < 0.08)
        )
        agent = self._agent(language)
        steps = _lifecycle(rng, channel, outbound, at)
        abandoned = channel is Channel.VOICE and not outbound and rng.random() < 0.06
        queued = steps["queued_at"]
        if abandoned and queued is not None:  # the caller hung up before an agent answered
            steps = {"queued_at": queued, "ended_at": queued + timedelta(seconds=rng.uniform(20, 240))}
        stamps = {k: v for k, v in steps.items() if v is not None and v <= self.base}
        # The status is the last step reached by the base time: recent contacts are still live.
        status = "new"
        for name, state in (
            ("queued_at", "queued"),
            ("offered_at", "offered"),
            ("accepted_at", "active"),
            ("ended_at", "ended"),
            ("wrapped_up_at", "wrapped_up"),
        ):
            if name in stamps:
                status = state
        handled = "accepted_at" in stamps
        index = len(self.data.interactions)
        disposition = (
            "abandoned" if abandoned else rng.choice(topic.dispositions) if "wrapped_up_at" in stamps else None
        )
        self.data.interactions.append(
            {
                "customer_id": Ref("customer", customer),
                "case_id": Ref("case", case) if case is not None else None,
                "queue_id": Ref("queue", self._queue_for(topic, language)),
                "agent_id": Ref("user", agent.email) if handled or status == "offered" else None,
                "channel": channel.value,
                "direction": "outbound" if outbound else "inbound",
                "status": status,
                "subject": self._text(topic.subject, customer),
                "disposition_code": disposition,
                "external_ref": _external_ref(self.spec.slug, channel, index),
                "attributes": self._attributes(channel, profile, outbound),
                "created_at": at,
                "queued_at": stamps.get("queued_at"),
                "offered_at": stamps.get("offered_at"),
                "accepted_at": stamps.get("accepted_at"),
                "ended_at": stamps.get("ended_at"),
                "wrapped_up_at": stamps.get("wrapped_up_at"),
            }
        )
        self._messages(index, at, channel, topic, customer, agent, stamps, outbound, abandoned)
        if case is not None:
            self._touch_case(case, index, agent, stamps, at)

    def _attributes(self, channel: Channel, profile: dict[str, Any], outbound: bool) -> dict[str, Any]:
        kinds = profile["kinds"]
        if channel in {Channel.VOICE, Channel.SMS, Channel.FAX} and "phone" in kinds:
            key = "to" if outbound else "from"
            return {key: kinds["phone"][0]}
        if channel is Channel.EMAIL and "email" in kinds:
            return {"to" if outbound else "from": kinds["email"][0]}
        if channel is Channel.SOCIAL and "social" in kinds:
            return {"provider": kinds["social"][1], "handle": kinds["social"][0]}
        if channel is Channel.WEB_FORM:
            return {"form": "contact-us"}
        if channel is Channel.LETTER:
            return {"pages": self.rng.randint(1, 3), "scanned": True}
        if channel is Channel.WORK_ITEM:
            return {"source": "back office"}
        return {}

    def _messages(
        self,
        index: int,
        first: datetime,
        channel: Channel,
        topic: Topic,
        customer: int,
        agent: DemoUser,
        stamps: dict[str, datetime],
        outbound: bool,
        abandoned: bool,
    ) -> None:
        rng = self.rng
        ref = Ref("interaction", index)
        name = self.data.customers[customer]["display_name"]
        ask, answer = self._text(topic.ask, customer), self._text(topic.answer, customer)
        accepted, ended = stamps.get("accepted_at"), stamps.get("ended_at")

        def add(kind: str, at: datetime | None, body: str) -> None:
            if at is None or at > self.base:
                return
            user = Ref("user", agent.email) if kind == "agent" else None
            author = agent.name if kind == "agent" else name if kind == "customer" else "Helpline"
            self.data.messages.append(
                {
                    "interaction_id": ref,
                    "author_kind": kind,
                    "author_user_id": user,
                    "author_name": author,
                    "at": at,
                    "body": body,
                    "attachments": [],
                }
            )

        if channel is Channel.VOICE:
            if abandoned:
                add("system", ended, "Caller hung up while waiting in the queue.")
                return
            if ended and accepted:
                talk = int((ended - accepted).total_seconds())
                add(
                    "system",
                    ended,
                    f"{'Outbound' if outbound else 'Inbound'} call, talk time {talk // 60} min {talk % 60} s.",
                )
            add("agent", stamps.get("wrapped_up_at"), f"Call notes: {answer}")
        elif channel in {Channel.CHAT, Channel.SMS, Channel.SOCIAL}:
            if outbound:
                add("agent", first, answer)
                if rng.random() < 0.5 and accepted:
                    add("customer", accepted + timedelta(minutes=rng.uniform(1, 30)), _thanks(self.profile[customer]))
                return
            add("customer", first, ask)
            if accepted:
                add("agent", accepted + timedelta(seconds=20), _greeting(agent, self.profile[customer]))
                add("customer", accepted + timedelta(seconds=70), _detail(self.profile[customer]))
                add(
                    "agent",
                    (ended or accepted) - timedelta(seconds=30) if ended else accepted + timedelta(minutes=2),
                    answer,
                )
            if ended:
                add("customer", ended - timedelta(seconds=5), _thanks(self.profile[customer]))
        elif channel is Channel.WORK_ITEM:
            add("system", first, ask)
            add("agent", ended, answer)
        else:  # email, web form, letter, fax: one message in, one reply out
            if outbound:
                add("agent", first, answer)
                return
            intro = {
                Channel.LETTER: "Scanned letter: ",
                Channel.FAX: "Fax received: ",
                Channel.WEB_FORM: "Contact form: ",
            }.get(channel, "")
            add("customer", first, intro + ask)
            add("agent", ended, answer)

    def _touch_case(
        self, case: int, interaction: int, agent: DemoUser, stamps: dict[str, datetime], at: datetime
    ) -> None:
        """Link the contact to its case, as the case service writes it: opening, link, assignment."""
        row = self.data.cases[case]
        handler = agent if "accepted_at" in stamps else None
        if row["created_at"] == at:  # this contact opened the case
            self._history_row(case, at, handler, "created", None, row["subject"])
        self._history_row(case, at, handler, "interaction", None, Ref("interaction", interaction, text=True))
        last = max([at, *stamps.values()])
        self.case_last[case] = max(self.case_last[case], last)
        if row["assignee_id"] is None and "accepted_at" in stamps:
            row["assignee_id"] = Ref("user", agent.email)
            self._history_row(case, stamps["accepted_at"], agent, "assignee_id", None, Ref("user", agent.email, True))
            self._history_row(case, stamps["accepted_at"], agent, "status", "new", "open")
            row["status"] = "open"

    def _history_row(
        self, case: int, at: datetime, actor: DemoUser | None, field: str, old: str | None, new: str | Ref | None
    ) -> None:
        self.data.case_history.append(
            {
                "case_id": Ref("case", case),
                "actor_user_id": Ref("user", actor.email) if actor else None,
                "actor_name": actor.name if actor else "Helpline",
                "at": at,
                "field": field,
                "old_value": old,
                "new_value": new,
            }
        )

    def _settle_cases(self) -> None:
        """Decide where each case stands at the base time from how long ago it last moved."""
        rng = self.rng
        for index, row in enumerate(self.data.cases):
            last = self.case_last[index]
            age = self.base - last
            agent = self._assignee(row)
            if rng.random() < 0.12 and row["status"] == "open":
                at = last + timedelta(minutes=5)
                if at < self.base:
                    self._history_row(index, at, rng.choice(self.supervisors), "escalation_tier", "0", "1")
                    row["escalation_tier"] = 1
                    if row["priority"] in {"low", "normal"}:
                        self._history_row(index, at, rng.choice(self.supervisors), "priority", row["priority"], "high")
                        row["priority"] = "high"
                    last = at
            if row["status"] == "new" and agent is None and age > timedelta(days=2):
                # Nobody picked it up from a contact: a supervisor's triage assigned it later.
                agent = self.rng.choice(self.agents)
                at = min(row["created_at"] + timedelta(hours=rng.uniform(1, 20)), self.base - timedelta(minutes=2))
                row["assignee_id"] = Ref("user", agent.email)
                self._history_row(index, at, agent, "assignee_id", None, Ref("user", agent.email, True))
                self._history_row(index, at, agent, "status", "new", "open")
                row["status"], last = "open", max(last, at)
            if row["status"] == "new":
                row["updated_at"] = last
                continue
            if age > timedelta(days=10):
                target = "closed" if rng.random() < 0.7 else "resolved"
            elif age > timedelta(days=3):
                target = rng.choices(("resolved", "pending", "open"), (45, 30, 25))[0]
            else:
                target = rng.choices(("open", "pending"), (60, 40))[0]
            if target == "pending":
                at = min(last + timedelta(hours=rng.uniform(0.2, 6)), self.base - timedelta(minutes=1))
                self._history_row(index, at, agent, "status", "open", "pending")
                row["status"], last = "pending", at
            if target in {"resolved", "closed"}:
                at = min(last + timedelta(hours=rng.uniform(0.1, 30)), self.base - timedelta(minutes=1))
                self._history_row(index, at, agent, "status", "open", "resolved")
                row["status"], row["resolved_at"], last = "resolved", at, at
                closed = at + timedelta(days=rng.uniform(3, 7))
                if target == "closed" and closed < self.base:
                    self._history_row(index, closed, None, "status", "resolved", "closed")
                    row["status"], row["closed_at"], last = "closed", closed, closed
            row["updated_at"] = last
            if rng.random() < 0.3 and agent is not None:
                topic = self.case_topic[index]
                self.data.notes.append(
                    {
                        "case_id": Ref("case", index),
                        "customer_id": row["customer_id"],
                        "interaction_id": None,
                        "author_user_id": Ref("user", agent.email),
                        "author_name": agent.name,
                        "body": topic.note,
                        "created_at": min(last, self.base),
                    }
                )

    def _assignee(self, row: dict[str, Any]) -> DemoUser | None:
        ref = row["assignee_id"]
        if ref is None:
            return None
        return next(a for a in self.agents if a.email == ref.key)

    def _customer_notes(self) -> None:
        rng = self.rng
        remarks = {
            "cardinal": (
                "Prefers delivery to the office address.",
                "Buys for a large family: suggest bundles.",
                "Hard of hearing: speak slowly on the phone.",
            ),
            "heartwise": (
                "Lost a parent to heart disease; be gentle with reminders.",
                "Prefers mail over email for receipts.",
                "Interested in volunteering next season.",
            ),
            "northwave": (
                "Prefers to be served in French.",
                "Works from home: outages are urgent for them.",
                "Asked not to be called before 10 am.",
            ),
        }[self.spec.slug]
        for index, row in enumerate(self.data.customers):
            if rng.random() < 0.05:
                agent = rng.choice(self.agents)
                at = max(row["created_at"], self.start) + timedelta(days=rng.uniform(0, 30))
                self.data.notes.append(
                    {
                        "case_id": None,
                        "customer_id": Ref("customer", index),
                        "interaction_id": None,
                        "author_user_id": Ref("user", agent.email),
                        "author_name": agent.name,
                        "body": rng.choice(remarks),
                        "created_at": min(at, self.base),
                    }
                )


def _lifecycle(rng: random.Random, channel: Channel, outbound: bool, at: datetime) -> dict[str, datetime | None]:
    """Queue, offer, accept, end and wrap-up times, typical of each channel."""

    def s(low: float, high: float) -> timedelta:
        return timedelta(seconds=rng.uniform(low, high))

    if outbound:
        accepted = at + s(1, 5)
        ended = accepted + (s(60, 600) if channel is Channel.VOICE else s(1, 5))
        return {
            "queued_at": None,
            "offered_at": None,
            "accepted_at": accepted,
            "ended_at": ended,
            "wrapped_up_at": ended + s(10, 90),
        }
    wait, handle = {
        Channel.VOICE: ((5, 240), (90, 900)),
        Channel.CHAT: ((10, 180), (240, 1200)),
        Channel.SMS: ((60, 1800), (120, 1800)),
        Channel.SOCIAL: ((300, 7200), (120, 900)),
        Channel.EMAIL: ((600, 86400), (180, 900)),
        Channel.WEB_FORM: ((600, 86400), (180, 900)),
        Channel.LETTER: ((3600, 259200), (300, 900)),
        Channel.FAX: ((1800, 172800), (300, 900)),
        Channel.WORK_ITEM: ((1800, 172800), (600, 1800)),
    }[channel]
    queued = at + s(1, 3)
    offered = queued + s(*wait)
    accepted = offered + s(2, 15)
    ended = accepted + s(*handle)
    return {
        "queued_at": queued,
        "offered_at": offered,
        "accepted_at": accepted,
        "ended_at": ended,
        "wrapped_up_at": ended + s(15, 180),
    }


def _external_ref(slug: str, channel: Channel, index: int) -> str:
    if channel in {Channel.EMAIL, Channel.WEB_FORM}:
        return f"<demo-{slug}-{index:06d}@mail.example.com>"
    return f"{channel.value}-{slug}-{index:06d}"


def _greeting(agent: DemoUser, profile: dict[str, Any]) -> str:
    first_name = agent.name.split()[0]
    if profile["language"] == "fr":
        return f"Bonjour {profile['first']}, ici {first_name}. Je regarde votre dossier tout de suite."
    return f"Hi {profile['first']}, this is {first_name}. Let me pull up your account."


def _detail(profile: dict[str, Any]) -> str:
    return "Merci, je reste en ligne." if profile["language"] == "fr" else "Thanks, I'll wait."


def _thanks(profile: dict[str, Any]) -> str:
    return "Merci beaucoup, bonne journée!" if profile["language"] == "fr" else "Great, thank you so much!"


def _mothers_day(year: int) -> date:
    """Second Sunday of May (United States)."""
    first = date(year, 5, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7)


def _near_before(day: date, peak: date, days: int) -> bool:
    return timedelta(0) <= peak - day <= timedelta(days=days)


def _day_weight(slug: str, day: date) -> float:
    """Relative contact volume of a day: weekends are quiet; each client has its own peaks."""
    weight = 0.45 if day.weekday() >= 5 else 1.0
    if slug == "cardinal":
        if _near_before(day, date(day.year, 2, 14), 21):
            weight *= 2.5
        if _near_before(day, _mothers_day(day.year), 14):
            weight *= 2.2
        if _near_before(day, date(day.year, 12, 24), 30):
            weight *= 3.0
    elif slug == "heartwise":
        if day.month == 2:  # American Heart Month
            weight *= 2.4
    elif slug == "northwave":
        if day.weekday() == 0:
            weight *= 1.3
        if _near_before(day, date(day.year, 7, 1), 21):  # Québec's moving day
            weight *= 1.8
    return weight


def _season_tags(slug: str, day: date) -> list[str]:
    if slug == "cardinal":
        if _near_before(day, date(day.year, 2, 14), 21):
            return ["valentines"]
        if _near_before(day, _mothers_day(day.year), 14):
            return ["mothers-day"]
        if _near_before(day, date(day.year, 12, 24), 30):
            return ["christmas"]
    if slug == "heartwise" and day.month == 2:
        return ["heart-month"]
    return []
