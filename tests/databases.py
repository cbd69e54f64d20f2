"""Throwaway PostgreSQL databases, as the test suite and the benchmarks use them."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool


async def reset_postgres_schema(url: str) -> None:
    """Drop everything in the public schema of a throwaway PostgreSQL database."""
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()
