"""A sample NHMB CRM (issue 17 tests): two customers who share a surname, contracts per
customer, created in any SQLAlchemy database the test gives (SQLite file or PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import create_engine, text

SCHEMA = [
    "CREATE TABLE customers (id INTEGER PRIMARY KEY, customer_number VARCHAR(20) NOT NULL, "
    "name VARCHAR(100) NOT NULL, email VARCHAR(200), phone VARCHAR(30), street VARCHAR(100), "
    "city VARCHAR(60))",
    "CREATE TABLE contracts (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id), "
    "contract_number VARCHAR(20) NOT NULL, product VARCHAR(60) NOT NULL, start_date DATE NOT NULL, "
    "end_date DATE)",
]
CUSTOMERS = [
    (1, "K-1001", "Jan de Vries", "jan.devries@example.nl", "06-11111111", "Dorpsstraat 1", "Zevenaar"),
    (2, "K-1002", "Anna de Vries", "anna.devries@example.nl", "06-22222222", "Kerkweg 2", "Arnhem"),
]
CONTRACTS = [
    (1, 1, "C-501", "Boekhoudpakket", "2024-01-01", None),
    (2, 1, "C-502", "Supportcontract", "2025-03-01", "2026-03-01"),
    (3, 2, "C-601", "Boekhoudpakket", "2023-06-01", None),
]


def create_crm(url: str, *, extra_contracts: int = 0) -> None:
    """Create and fill the sample CRM; ``extra_contracts`` more contracts for Jan."""
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in SCHEMA:
            conn.execute(text(statement))
        conn.execute(
            text("INSERT INTO customers VALUES (:id, :nr, :name, :email, :phone, :street, :city)"),
            [
                dict(zip(("id", "nr", "name", "email", "phone", "street", "city"), c, strict=True))
                for c in CUSTOMERS
            ],
        )
        rows = [
            dict(zip(("id", "cid", "nr", "product", "start", "end"), c, strict=True)) for c in CONTRACTS
        ] + [
            {
                "id": 100 + i,
                "cid": 1,
                "nr": f"C-9{i:04d}",
                "product": "Licentie",
                "start": "2025-01-01",
                "end": None,
            }
            for i in range(extra_contracts)
        ]
        # SQLite keeps dates as ISO text; CAST(... AS DATE) there would make them numbers.
        day = "{}" if conn.dialect.name == "sqlite" else "CAST({} AS DATE)"
        values = f"(:id, :cid, :nr, :product, {day.format(':start')}, {day.format(':end')})"
        conn.execute(text(f"INSERT INTO contracts VALUES {values}"), rows)
    engine.dispose()
