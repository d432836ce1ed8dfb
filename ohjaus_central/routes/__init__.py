"""The central API's routes, one APIRouter per resource, included by create_app (app.py)."""

from . import access_log, clients, devices, queue, sync

ROUTERS = (devices.router, sync.router, access_log.router, queue.router, clients.router)
