// Stands in for CSS and SVG imports under jest.
module.exports = {};
