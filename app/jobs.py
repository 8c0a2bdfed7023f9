"""The trainings a session follows: the Train page's last Start and the lab's last experiment.

The background worker knows each session's jobs by its owner id; a job the worker has
forgotten (a server restart, say) is no longer followed.
"""

from __future__ import annotations

import streamlit as st

from app import state
from cnnviz.training.backends import get_worker
from cnnviz.training.progress import status_line

TRAIN_JOB_KEY = "cnnviz_train_job"
ADOPTED_JOB_KEY = "cnnviz_train_adopted"
LAB_JOB_KEY = "cnnviz_lab_job"


def _known_job_ids() -> set[str]:
    return {info.id for info in get_worker().jobs_for(state.session_owner())}


def training_job_id() -> str | None:
    """The job the Train page follows: the session's last Start, while the worker still knows it."""
    job_id = st.session_state.get(TRAIN_JOB_KEY)
    return job_id if job_id in _known_job_ids() else None  # forgotten e.g. after a server restart


def set_training_job_id(job_id: str) -> None:
    st.session_state[TRAIN_JOB_KEY] = job_id


def adopt_finished_training() -> None:
    """The session's finished training becomes its current model, once per job, on whatever page the student is."""
    job_id = training_job_id()
    if job_id is None or st.session_state.get(ADOPTED_JOB_KEY) == job_id:
        return
    finished_run = get_worker().result(job_id)
    if finished_run is not None:
        state.set_current_model(finished_run)
        st.session_state[ADOPTED_JOB_KEY] = job_id


def training_status() -> str | None:
    """One line about this session's latest training, for the sidebar (None when there is none)."""
    worker = get_worker()
    jobs = worker.jobs_for(state.session_owner())
    if not jobs:
        return None
    job = jobs[-1]
    return status_line(job, worker.progress(job.id).snapshot(), worker.result_config(job.id))


def lab_job() -> tuple[str, str, str] | None:
    """(job id, group kind, group id) of the lab's last experiment, while the worker still knows it."""
    job = st.session_state.get(LAB_JOB_KEY)
    return job if job is not None and job[0] in _known_job_ids() else None


def set_lab_job(job_id: str, kind: str, group: str) -> None:
    st.session_state[LAB_JOB_KEY] = (job_id, kind, group)
