"""Which deployment a database belongs to."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
import sqlalchemy.exc
import sqlalchemy.orm as so

from petition.models import Deployment


def deployment_id(session: so.Session) -> str:
    """The id made when this database was first migrated (a restored copy keeps it).

    Made afresh if the row is gone; processes racing to make it agree on the first one.
    """
    uid = session.scalar(sa.select(Deployment.uid).where(Deployment.id == 1))
    if uid is not None:
        return uid
    try:
        with session.begin_nested():
            session.add(Deployment(id=1, uid=secrets.token_hex(6)))
    except sqlalchemy.exc.IntegrityError:
        pass
    return session.scalars(sa.select(Deployment.uid).where(Deployment.id == 1)).one()
