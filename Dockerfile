# Build stage: make a wheel of Consulta and of everything it needs.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY core core
COPY surveys surveys
COPY adapters adapters
COPY bots bots
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# Run stage: only the wheels, installed for an unprivileged user.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    CONSULTA_HOST=0.0.0.0 CONSULTA_PORT=8000 \
    CONSULTA_DATABASE_URL=sqlite:////data/consulta.db
RUN useradd --system --create-home --uid 10001 consulta \
    && mkdir /data && chown consulta /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER consulta
WORKDIR /home/consulta
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
# Migrations are idempotent, so each start brings the schema up to date first.
CMD ["sh", "-c", "consulta db upgrade && exec consulta serve"]
