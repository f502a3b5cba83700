# The reference backend (src/), built from source in one stage and run from
# a slim image as a non-root user in another.
#   docker build -t tollgate-backend .
#   docker run -p 8080:8080 tollgate-backend

FROM debian:bookworm-slim AS build
# The Makefile checks for every library of the project, so the build stage
# has them all; the runtime stage keeps only what build/backend links.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential pkg-config check \
      libcurl4-openssl-dev libcjson-dev libyaml-dev libmicrohttpd-dev libsqlite3-dev libpq-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY mk/ mk/
COPY src/ src/
RUN make build/backend && strip build/backend

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libcjson1 libmicrohttpd12 libsqlite3-0 libpq5 \
      curl ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin app \
 && mkdir -p /app/build /app/data && chown app:app /app/data
WORKDIR /app
COPY --from=build /src/build/backend /app/build/backend
USER app
# PORT is read by the backend itself; platforms set it, 8080 otherwise.
ENV PORT=8080 \
    DATABASE_URL=sqlite:///app/data/backend.db \
    LOG_LEVEL=info
EXPOSE 8080
VOLUME ["/app/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${PORT}/api/v1/health/readiness" >/dev/null || exit 1
# SIGTERM drains in-flight requests for up to SHUTDOWN_TIMEOUT (10 s).
STOPSIGNAL SIGTERM
CMD ["build/backend", "--host", "0.0.0.0"]
