"""gunicorn settings for the web app: `gunicorn -c infra/gunicorn.conf.py 'ivr.app:create_app()'`.

Webhooks are short and mostly wait on the database, so a few threaded workers per core suffice.
"""

import multiprocessing

bind = "127.0.0.1:8000"
workers = multiprocessing.cpu_count() * 2
threads = 4
worker_class = "gthread"
timeout = 30
# The carrier gives up on a webhook after 15 s; never keep a caller waiting longer than that.
graceful_timeout = 15
accesslog = "-"
forwarded_allow_ips = "127.0.0.1"
