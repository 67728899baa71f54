"""Who the members are: Brazilian names, e-mails, phones and birth dates. Fictional people:
e-mails use the reserved example.com/.net/.org domains (RFC 2606), phones the 9xxxx mobile
pattern with random digits."""

import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

FEMALE = (
    "Ana", "Maria", "Juliana", "Fernanda", "Camila", "Beatriz", "Larissa", "Amanda", "Patrícia",
    "Aline", "Bruna", "Letícia", "Gabriela", "Mariana", "Carolina", "Natália", "Vanessa",
    "Tatiane", "Luana", "Júlia", "Isabela", "Rafaela", "Priscila", "Renata", "Débora", "Sabrina",
    "Helena", "Alice", "Lívia", "Sofia", "Cláudia", "Simone", "Adriana", "Luciana", "Jéssica",
)  # fmt: skip
MALE = (
    "João", "Pedro", "Lucas", "Gabriel", "Rafael", "Felipe", "Gustavo", "Bruno", "Thiago",
    "Matheus", "Rodrigo", "Leonardo", "André", "Diego", "Marcelo", "Eduardo", "Vinícius",
    "Fábio", "Ricardo", "Daniel", "Carlos", "Paulo", "Henrique", "Caio", "Igor", "Otávio",
    "Miguel", "Arthur", "Davi", "Heitor", "José", "Antônio", "Luiz", "Renan", "Murilo",
)  # fmt: skip
SURNAMES = (
    "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima",
    "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes", "Soares",
    "Fernandes", "Vieira", "Barbosa", "Rocha", "Dias", "Nascimento", "Andrade", "Moreira",
    "Nunes", "Marques", "Machado", "Mendes", "Freitas", "Cardoso", "Ramos", "Gonçalves",
    "Santana", "Teixeira", "Araújo", "Monteiro", "Moura", "Cavalcanti", "Barros", "Pinto",
)  # fmt: skip
DOMAINS = ("example.com", "example.net", "example.org")
# Area codes: mostly São Paulo (11), some from the rest of the state and other capitals.
AREA_CODES = (11, 11, 11, 11, 11, 11, 13, 19, 12, 15, 21, 31, 41, 61, 71, 81)


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    email: str
    phone: str
    birth_date: date


def ascii_slug(text: str) -> str:
    """'Júlia Araújo' -> 'julia-araujo' (for e-mail local parts)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join(plain.lower().split())


def make_people(rng: np.random.Generator, count: int, *, seed: int, today: date) -> list[Person]:
    """`count` people. E-mails are unique: they carry the member's number and the seed
    (`ana.souza.17.s42@example.com`), so two gyms of different seeds never collide."""
    female = rng.random(count) < 0.52
    firsts = np.where(
        female, rng.integers(0, len(FEMALE), count), rng.integers(0, len(MALE), count)
    )
    second = rng.random(count) < 0.35  # a compound surname: "Souza Lima"
    last1 = rng.integers(0, len(SURNAMES), count)
    last2 = rng.integers(0, len(SURNAMES), count)
    domains = rng.integers(0, len(DOMAINS), count)
    areas = rng.integers(0, len(AREA_CODES), count)
    digits = rng.integers(0, 10_000, (count, 2))
    # Ages: 16 + gamma (mean ~31, long tail to the 60s), clipped to 16..75.
    ages = np.clip(16 + rng.gamma(2.2, 7.0, count), 16, 75)
    people = []
    for i in range(count):
        first = (FEMALE if female[i] else MALE)[firsts[i]]
        surname = SURNAMES[last1[i]]
        if second[i] and last2[i] != last1[i]:
            surname = f"{SURNAMES[last2[i]]} {surname}"
        last = surname.split()[-1]
        email = f"{ascii_slug(first)}.{ascii_slug(last)}.{i}.s{seed}@{DOMAINS[domains[i]]}"
        phone = f"+55 {AREA_CODES[areas[i]]} 9{digits[i, 0]:04d}-{digits[i, 1]:04d}"
        born = today - timedelta(days=int(ages[i] * 365.25))
        people.append(Person(f"{first} {surname}", email, phone, born))
    return people
