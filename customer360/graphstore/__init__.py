"""Graph stores behind one protocol (``protocol.py``), fed by one backend-neutral plan
(``plan.py``, ``network_plan.py``, ``mapping.py``, ``pages.py``); one package per backend
(``sqlite/``, ``gremlin/``) with the same modules; ``backends.open_store`` picks one."""
