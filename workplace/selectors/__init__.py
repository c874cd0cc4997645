"""Reads for the workplace, one module per page.

Every function that lists a carrier's data takes a queryset the caller has already cut to what the user may
see (``carriers.admin_tenancy.scope_to_carrier``), so the carrier boundary is decided in one place.
"""

from workplace.selectors.alerts import *  # noqa: F403
from workplace.selectors.board import *  # noqa: F403
from workplace.selectors.crossings import *  # noqa: F403
from workplace.selectors.drivers import *  # noqa: F403
from workplace.selectors.planner import *  # noqa: F403
