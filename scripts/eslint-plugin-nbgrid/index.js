'use strict';
/** nbgrid's own ESLint rules (a local plugin, installed as a file: devDependency). */
module.exports = {
  rules: {
    'no-import-cycle': require('./no-import-cycle')
  }
};
