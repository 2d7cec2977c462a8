"""Every public part of the client has a docstring with an example, and the runnable ones pass."""
import doctest
import inspect

import pytest

import nbgrid.client
from nbgrid.client import config, entry, errors, http, jobs, params, progress, runtime, table
from nbgrid.client import logs
from nbgrid.client import cleanup, schedules
import nbgrid.magics

MODULES = [config, entry, errors, http, jobs, params, progress, runtime, table, nbgrid.client, nbgrid.magics, logs,
           cleanup, schedules]


@pytest.mark.parametrize('module', MODULES, ids=lambda m: m.__name__)
def test_doctests_pass(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def public_callables():
    for module in MODULES:
        for name, obj in vars(module).items():
            if name.startswith('_') or getattr(obj, '__module__', None) != module.__name__:
                continue
            if inspect.isfunction(obj):
                yield f'{module.__name__}.{name}', obj
            elif inspect.isclass(obj) and not issubclass(obj, Exception):
                yield f'{module.__name__}.{name}', obj
                for attr, member in vars(obj).items():
                    if not attr.startswith('_') and inspect.isfunction(member):
                        yield f'{module.__name__}.{name}.{attr}', member


def test_public_functions_and_classes_have_an_example():
    missing = [name for name, obj in public_callables()
               if 'Example' not in (inspect.getdoc(obj) or '')
               and not name.endswith(('.update', '.close', '.text', '.column', '.counts', '.url'))]
    assert missing == []
