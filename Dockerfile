# The central API (`ohjaus serve`) as a container: the wheel built from this checkout, installed
# with its server packages ([server]: FastAPI, uvicorn, psycopg, Alembic) into python:3.11-slim.
# compose.yaml runs it beside PostgreSQL; docs/server.md says how to run it for real.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE babel.cfg ./
COPY data ./data
COPY ohjaus ./ohjaus
COPY ohjaus_core ./ohjaus_core
COPY ohjaus_tui ./ohjaus_tui
COPY ohjaus_central ./ohjaus_central
RUN pip wheel --no-cache-dir --no-deps -w /dist .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN useradd --system --create-home --home-dir /var/lib/ohjaus ohjaus
COPY --from=build /dist/ /tmp/dist/
RUN pip install --no-cache-dir "$(ls /tmp/dist/ohjaus-*.whl)[server]" && rm -rf /tmp/dist
USER ohjaus
WORKDIR /var/lib/ohjaus
EXPOSE 8765
# OHJAUS_DB names the database (postgresql://USER:PASSWORD@HOST/DB), kept out of the command line.
ENTRYPOINT ["ohjaus"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8765"]
