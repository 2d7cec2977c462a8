"""``defer_package_init``: the batch kernel skips jupyter_client's package ``__init__`` at start-up,
and a notebook that uses the package later must get exactly what a plain import gives."""
import sys
import textwrap

import pytest

from nbgrid.kernels.batch import defer_package_init

PACKAGE = 'nbgrid_deferred_pkg'


@pytest.fixture
def package(tmp_path, monkeypatch):
    root = tmp_path / PACKAGE
    root.mkdir()
    (root / '__init__.py').write_text(textwrap.dedent('''
        INIT_RUNS = globals().get('INIT_RUNS', 0) + 1
        from .sub import thing
        __all__ = ['thing', 'INIT_RUNS']
    '''))
    (root / 'sub.py').write_text("thing = 'thing'\n")
    (root / 'defs.py').write_text("early = 'early'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield root
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + '.')]:
        del sys.modules[name]


def test_submodules_and_known_names_import_without_running_the_init(package):
    assert defer_package_init(PACKAGE, {'early': PACKAGE + '.defs'}) is True
    import nbgrid_deferred_pkg
    import nbgrid_deferred_pkg.sub
    from nbgrid_deferred_pkg import early

    assert early == 'early'
    assert nbgrid_deferred_pkg.sub.thing == 'thing'
    assert 'INIT_RUNS' not in vars(nbgrid_deferred_pkg)


def test_any_other_name_runs_the_init_once_in_the_same_module(package):
    defer_package_init(PACKAGE, {'early': PACKAGE + '.defs'})
    import nbgrid_deferred_pkg as pkg

    assert pkg.thing == 'thing'
    assert pkg.INIT_RUNS == 1
    assert sys.modules[PACKAGE] is pkg
    assert '__getattr__' not in vars(pkg)
    with pytest.raises(AttributeError):
        pkg.missing  # noqa: B018
    assert pkg.INIT_RUNS == 1


def test_star_import_and_missing_names_behave_as_after_a_plain_import(package):
    defer_package_init(PACKAGE)
    namespace = {}
    exec(f'from {PACKAGE} import *', namespace)
    assert (namespace['thing'], namespace['INIT_RUNS']) == ('thing', 1)
    with pytest.raises(ImportError):
        exec(f'from {PACKAGE} import missing', {})


def test_leaves_imported_modules_and_non_packages_alone(package):
    import nbgrid_deferred_pkg as pkg

    assert defer_package_init(PACKAGE) is False
    assert sys.modules[PACKAGE] is pkg
    assert defer_package_init('textwrap') is False
    assert defer_package_init('nbgrid_no_such_package_anywhere') is False
