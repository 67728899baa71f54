"""Risk serving: the serving model held in memory and hot-swapped (model.py), one member's risk
and a page of the at-risk list (handlers.py) built by the pure assembly in risk.py and
snapshot.py, the periodic snapshot of every active member (snapshots.py), and the served
predictions written behind the answers (recorder.py, store.py). docs/churn.md, "Serving risk".
"""
